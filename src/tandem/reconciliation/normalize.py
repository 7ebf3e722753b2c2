"""Text and unit normalisation for report alignment (对账归一化).

Two adjusters describe one item in their own words. Before two descriptions are compared, each is
reduced to

* *identifiers* — the tokens that tell near-identical items apart and therefore must agree when
  both sides give them: building/unit numbers (``1#``, ``1号``, ``一号``, ``#1``), floors (``2F``,
  ``2层``, ``二层``, ``二楼``, ``B1``, ``负一层``, ``地下一层``), zones (``A区``, ``东侧``), container
  numbers, and model/tag/specification tokens (``CK6140``, ``P-101A``, ``75kW``, ``43英寸``);
* a *core text*: the remaining wording with damage remarks and repair verbs dropped and domain
  synonyms mapped onto one canonical word (厂房/车间, 屋面/屋顶, 彩钢瓦/彩钢板, 地牛/液压搬运车 …).

Units of measure are mapped onto a canonical unit, a dimension and a factor to the dimension's base
unit, so that ``㎡``/``m2``/``平方米`` compare equal and ``1 t`` equals ``1000 kg`` (``1亩`` = 666.67 ㎡).

Everything here is pure and deterministic; no segmentation dictionary or model is needed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "ID_KINDS",
    "DescriptionKey",
    "UnitInfo",
    "analyse_description",
    "canonical_category",
    "char_features",
    "cn_to_int",
    "convert_cn_numerals",
    "normalise_text",
    "unit_info",
]

# --------------------------------------------------------------------------------------------------
# Chinese numerals
# --------------------------------------------------------------------------------------------------

# fmt: off
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7,
              "捌": 8, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000}
_CN_CHARS = "零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰"
# fmt: on


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese numeral such as ``十四`` (14), ``二十`` (20) or ``一百零五`` (105).

    A plain run of digits (``一二`` → 12) is read positionally. Returns ``None`` for anything else.
    """
    if not text or any(ch not in _CN_CHARS for ch in text):
        return None
    if not any(ch in _CN_UNITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = 0
    current = 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


# Words after which a Chinese numeral is a number (and not part of a word such as 一体化 or 百货).
# fmt: off
_NUMERAL_FOLLOWERS = (
    "号楼", "号", "#", "楼", "层", "栋", "幢", "座", "车间", "厂房", "厂", "仓", "库", "期", "区", "线",
    "单元", "跨", "匹", "吨", "英寸", "寸", "千瓦", "标段", "工段", "大棚", "温室", "棚", "泊位",
    "舱", "机组", "号机", "段",
)
# fmt: on
_NUMERAL_PREFIXES = ("第", "负", "地下", "#")
_CN_NUMERAL_RE = re.compile(
    "(?P<pre>" + "|".join(_NUMERAL_PREFIXES) + ")?"
    f"(?P<num>[{_CN_CHARS}]+)"
    "(?=(?P<post>" + "|".join(sorted(_NUMERAL_FOLLOWERS, key=len, reverse=True)) + "))?"
)


def convert_cn_numerals(text: str) -> str:
    """Rewrite Chinese numerals as Arabic ones where they count something (``一号`` → ``1号``,
    ``十一层`` → ``11层``, ``地下一层`` → ``地下1层``); leave words such as ``一体化`` alone."""

    def repl(match: re.Match[str]) -> str:
        pre = match.group("pre") or ""
        num = match.group("num")
        if not pre and match.group("post") is None:
            return match.group(0)
        value = cn_to_int(num)
        if value is None:
            return match.group(0)
        return f"{pre}{value}"

    return _CN_NUMERAL_RE.sub(repl, text)


# --------------------------------------------------------------------------------------------------
# Basic text normalisation
# --------------------------------------------------------------------------------------------------

_SPACE_RE = re.compile(r"\s+")
_INCH_RE = re.compile(r"(\d)(?:\"|”|″)")


def normalise_text(text: str) -> str:
    """NFKC (full-width → half-width, ㎡ → m2), upper-case Latin, no whitespace, 费用 → 费."""
    out = unicodedata.normalize("NFKC", text).upper()
    out = out.replace("×", "X").replace("*", "X").replace("㎡", "M2").replace("M²", "M2")
    out = out.replace("—", "-").replace("–", "-").replace("~", "-")
    out = _SPACE_RE.sub("", out)
    out = _INCH_RE.sub(r"\1IN", out)
    return out.replace("费用", "费")


# --------------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------------

# Facility nouns that may follow a building/unit number; they are part of the location, not of the
# item, and are dropped with the number (longest first).
# fmt: off
_LOCATION_NOUNS = sorted(
    [
        "号楼", "楼栋", "栋", "幢", "座", "楼", "车间", "生产车间", "厂房", "生产厂房", "厂区", "厂",
        "仓库", "仓储库", "库房", "仓", "库", "冷库", "冷藏间", "冷藏库", "冷冻库", "大棚", "温室",
        "棚", "生产装置", "装置", "生产线", "线", "机组", "罐区", "区域", "区", "单元", "标段", "地块",
        "泊位", "船舱", "货舱", "舱", "堆场", "场地", "宿舍楼", "办公楼", "机房", "跨", "期", "工段",
        "段", "门店", "店", "展厅", "厅", "室",
    ],
    key=len,
    reverse=True,
)
# fmt: on
_LOC_NOUN_RE = "(?:" + "|".join(_LOCATION_NOUNS) + ")"
_FLOOR_NOUN_RE = "(?:层|楼|F)"

_CONTAINER_RE = re.compile(r"(?:集装箱号|集装箱|箱号|柜号)?([A-Z]{4})-?(\d{6})-?(\d)(?![0-9])")
_BASEMENT_RE = re.compile(
    r"(?:负|地下|(?<![A-Z0-9])-)(\d{1,2})" + _FLOOR_NOUN_RE + r"|(?:负|地下)(\d{1,2})"
    r"|(?<![A-Z0-9])B(\d{1,2})(?:" + _FLOOR_NOUN_RE + r")?(?![A-Z0-9])"
)
_NUMBER_ID_RE = re.compile(
    r"(?:#|NO\.?|第)(\d{1,4})(?![0-9A-Z.])(?:号|#)?(?:生产)?" + _LOC_NOUN_RE + "?"
    r"|(?<![A-Z0-9./])(\d{1,4})(?:#|号)(?:生产)?" + _LOC_NOUN_RE + "?"
    r"|(?<![A-Z0-9./])(\d{1,4})(?=(?:生产)?(?:栋|幢|座|车间|厂房|厂|仓库|仓|库房|大棚|温室|期|单元|标段|泊位|号线|跨))"
    r"(?:生产)?" + _LOC_NOUN_RE
)
_FLOOR_RE = re.compile(r"(?<![A-Z0-9./#])(\d{1,3})(?:F|层|楼)(?![A-Z0-9])|首层")
_TRAILING_NO_RE = re.compile(r"(?:车间|厂房|仓库|库房|大棚|温室|栋|幢)(\d{1,3})(?![0-9A-Z.])")
_ZONE_RE = re.compile(
    r"(?<![A-Z0-9])([A-Z]\d{0,2})(区域|片区|区|栋|座|幢|馆|段|跨)"
    r"|(?<![A-Z0-9./])(\d{1,3})(区域|片区|区)"
    r"|([东南西北中][东南西北]?|[甲乙丙丁])(区域|片区|区|侧|面|段|院|类|栋|座|幢)"
    r"|([左右上下])(侧|边|层|部)"
    r"|([新旧老])(?=厂房|车间|仓库|办公楼|宿舍楼|厂区|库区)()"
    r"|(?<![A-Z0-9])([A-Z]\d{0,2})(线)"
)
_SIDE_RE = re.compile(r"(室内|室外)|([内外])(?=墙|机)|([男女])(?=卫生间|厕所|更衣室|宿舍|浴室)")

# Number followed by a unit word → compact specification token (55寸 → 55IN).
# fmt: off
_SPEC_UNITS: list[tuple[str, str]] = [
    ("千伏安", "KVA"), ("KVA", "KVA"), ("兆瓦", "MW"), ("千瓦", "KW"), ("KW", "KW"), ("马力", "P"),
    ("英寸", "IN"), ("吋", "IN"), ("寸", "IN"), ("公斤", "KG"), ("千克", "KG"), ("KG", "KG"),
    ("吨", "T"), ("毫米", "MM"), ("厘米", "CM"), ("平方米", "M2"), ("平米", "M2"), ("立方米", "M3"),
    ("毫升", "ML"), ("升", "L"), ("米", "M"), ("匹", "P"), ("安时", "AH"), ("千伏", "KV"), ("伏", "V"),
    ("瓦", "W"),
    ("克", "G"), ("兆帕", "MPA"), ("英尺", "FT"), ("尺", "FT"),
]
# fmt: on
_SPEC_UNIT_RE = re.compile(
    r"(\d+(?:\.\d+)?)("
    + "|".join(re.escape(u) for u, _ in sorted(_SPEC_UNITS, key=lambda p: -len(p[0])) if not u.isascii())
    + ")"
)
_SPEC_UNIT_MAP = dict(_SPEC_UNITS)
_CODE_RE = re.compile(r"[A-Z0-9]+(?:[-./+][A-Z0-9]+)*")
_SPEC_SUFFIXES = "KVA|MW|KW|HP|IN|KG|MM|CM|M2|M3|ML|MPA|KV|AH|FT|T|L|M|P|V|W|G|A"
_SPEC_TOKEN_RE = re.compile(r"^(\d+(?:\.\d+)?)(T|KG|G|MM|CM|M|KW|W|MW|KVA|V|KV|HP)$")
_SPEC_SHAPE_RE = re.compile(r"^\d+(?:\.\d+)?(?:[X/]\d+(?:\.\d+)?)*(?:" + _SPEC_SUFFIXES + ")?$")
# fmt: off
_SPEC_BASE: dict[str, tuple[str, Decimal]] = {
    "T": ("KG", Decimal(1000)), "KG": ("KG", Decimal(1)), "G": ("KG", Decimal("0.001")),
    "MM": ("MM", Decimal(1)), "CM": ("MM", Decimal(10)), "M": ("MM", Decimal(1000)),
    "W": ("KW", Decimal("0.001")), "KW": ("KW", Decimal(1)), "MW": ("KW", Decimal(1000)),
    "V": ("V", Decimal(1)), "KV": ("V", Decimal(1000)), "KVA": ("KVA", Decimal(1)),
    "HP": ("P", Decimal(1)),
}
# fmt: on


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _canonical_code(token: str) -> str:
    """``P-101A`` → ``P101A``, ``NO.21C`` → ``NO21C``, ``2T`` → ``2000KG``, ``1.80M`` → ``1800MM``."""
    spec = _SPEC_TOKEN_RE.match(token)
    if spec:
        base, factor = _SPEC_BASE[spec.group(2)]
        return _plain(Decimal(spec.group(1)) * factor) + base
    out = token.replace("-", "").replace("+", "")
    # a dot is kept only as a decimal point
    out = re.sub(r"\.(?!\d)|(?<!\d)\.", "", out)
    return out


@dataclass(frozen=True, slots=True)
class DescriptionKey:
    """What a description says once normalised (see module docstring)."""

    ids: tuple[tuple[str, frozenset[str]], ...]
    """Identifier sets by kind (see :data:`ID_KINDS`)."""
    core: str
    """Core wording after synonym mapping: its distinct segments, sorted, separated by ``|``."""
    words: frozenset[str]
    """Latin words without digits (``AOI``, ``UPS``) — soft evidence, also kept in ``core``."""

    def id_set(self, kind: str) -> frozenset[str]:
        for name, values in self.ids:
            if name == kind:
                return values
        return frozenset()


ID_KINDS = ("no", "floor", "zone", "side", "container", "model", "spec")
"""Kinds of identifier; ``model`` is a model/tag number (``P101A``), ``spec`` a size or rating
(``75KW``, ``31/40``, ``800X800``)."""


@lru_cache(maxsize=8192)
def analyse_description(description: str) -> DescriptionKey:
    """Split a description into identifiers and a canonical core text."""
    text = convert_cn_numerals(normalise_text(description))
    found: dict[str, set[str]] = {kind: set() for kind in ID_KINDS}

    def take(pattern: re.Pattern[str], kind: str, value_of: Callable[[re.Match[str]], str | None]) -> None:
        nonlocal text
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            value = value_of(match)
            if value is None:
                continue
            found[kind].add(str(value))
            pieces.append(text[last : match.start()])
            pieces.append("|")
            last = match.end()
        pieces.append(text[last:])
        text = "".join(pieces)

    take(_CONTAINER_RE, "container", lambda m: m.group(1) + m.group(2) + m.group(3))
    take(_BASEMENT_RE, "floor", lambda m: "-" + str(int(m.group(1) or m.group(2) or m.group(3))))
    take(_ZONE_RE, "zone", _zone_value)
    take(_FLOOR_RE, "floor", lambda m: str(int(m.group(1))) if m.group(1) else "1")
    take(_NUMBER_ID_RE, "no", lambda m: str(int(m.group(1) or m.group(2) or m.group(3))))
    take(_TRAILING_NO_RE, "no", lambda m: str(int(m.group(1))))
    take(_SIDE_RE, "side", _side_value)
    text = _SPEC_UNIT_RE.sub(lambda m: m.group(1) + _SPEC_UNIT_MAP[m.group(2)], text)
    words: set[str] = set()

    def code_value(match: re.Match[str], *, spec: bool) -> str | None:
        token = match.group(0)
        if not any(ch.isdigit() for ch in token):
            return None
        if bool(_SPEC_SHAPE_RE.match(token.replace("-", ""))) != spec:
            return None
        return _canonical_code(token)

    take(_CODE_RE, "spec", lambda m: code_value(m, spec=True))
    take(_CODE_RE, "model", lambda m: code_value(m, spec=False))
    for match in _CODE_RE.finditer(text):
        words.add(match.group(0))
    core = _core_text(text)
    ids = tuple((kind, frozenset(found[kind])) for kind in ID_KINDS if found[kind])
    return DescriptionKey(ids=ids, core=core, words=frozenset(words))


def _zone_value(match: re.Match[str]) -> str:
    for group in (1, 3, 5, 7, 9, 11):
        value = match.group(group)
        if value:
            return value
    return match.group(0)  # pragma: no cover


def _side_value(match: re.Match[str]) -> str:
    value = match.group(1) or match.group(2) or match.group(3) or ""
    return {"室内": "内", "室外": "外"}.get(value, value)


# --------------------------------------------------------------------------------------------------
# Core text: remarks, verbs and synonyms
# --------------------------------------------------------------------------------------------------

# fmt: off
_DAMAGE_WORDS = [
    "冲击波损坏", "爆炸损毁", "海水浸湿", "烧毁", "过火", "烟熏", "熏黑", "泡水", "浸泡", "水浸",
    "水湿", "湿损", "浸湿", "受潮", "进水", "水淹", "淹没", "锈蚀", "生锈", "霉变", "发霉", "变质",
    "温升", "解冻", "吹毁", "吹落", "吹倒", "压垮", "压损", "压坏", "坍塌", "倒塌", "垮塌", "损坏",
    "损毁", "毁损", "破损", "受损", "火损", "烧损", "污染", "变形", "断裂", "冻裂", "撕裂", "砸坏",
    "碰撞", "震损", "腐蚀", "短路", "全损", "部分损失", "报废", "水渍", "渗漏", "被盗", "水损", "风损",
    "雪压", "雪灾", "冻损", "雹损", "火灾", "水灾", "风灾", "浸水", "淹水", "泡损", "烧坏", "烧焦",
    "熏损", "烟损", "撞损", "倒伏", "吹翻", "掀翻", "掀顶", "刮落", "刮坏", "压塌", "砸损", "爆裂",
    "漏水", "受淹", "过水", "霉烂", "腐烂", "冻死", "病死", "绝收", "减产", "翻覆", "灭失",
]
_ACTION_WORDS = [
    "修复", "更换", "换新", "重新", "重砌", "返工", "维修", "修理", "重刷", "重做", "翻新", "矫正",
    "加固", "搭设", "敷设", "铺设", "重装", "拆除", "补种", "重建", "修补", "整修", "处理", "拆换",
    "修缮", "检修", "更新", "重铺", "重喷", "复原", "除锈", "补漆", "拆装", "购置", "采购", "新购", "重置",
]
# fmt: on
_FILLER_WORDS = ["型号", "规格", "商品", "类", "型", "等", "及", "约", "的", "其他", "相关", "一批"]

# Synonym groups (同义词组): the first word of each group is its canonical form.
_SYNONYM_GROUPS = """
厂房|车间|生产车间|生产厂房|厂房车间|生产装置
仓库|仓储库|库房|货仓|仓储
屋面|屋顶|房顶|屋盖
彩钢瓦|彩钢板|压型钢板|彩板|彩钢屋面板|彩涂板|压型板|彩钢
夹芯板|夹心板|彩钢夹芯板|岩棉夹芯板|泡沫夹芯板|夹芯彩钢板
防水层|防水卷材|防水|卷材防水层|SBS卷材
采光板|采光瓦|采光带|阳光板|透明瓦
围墙|院墙|围护墙|厂区围墙
厂区|园区|院区|场区|厂内
环氧地坪|环氧树脂地坪|环氧地面|环氧自流平|环氧树脂地面
地坪|地面|楼地面
电气线路|电力线路|配电线路|电线线路|供电线路|电缆线路|线路|电线|电缆|布线
临时用电|临电
给排水管道|上下水管道|给水管道|给排水管|上下水管|给排水|上下水|水管
防火门|钢质防火门|钢制防火门
卷帘门|卷闸门|卷门|快速卷帘门
窗|窗户|铝窗|铝合金窗|门窗|外窗|铝合金外窗|塑钢窗|铝合金门窗|窗扇
幕墙|玻璃幕墙|幕墙玻璃
雨篷|雨棚|装卸雨棚|雨蓬|挑棚
钢结构|钢架|钢梁钢柱|钢结构框架|钢构|钢框架|框架|钢梁|钢柱|屋架|钢屋架
檩条|C钢檩条|钢檩条|檩
喷淋管道|喷淋管网|自动喷淋|喷淋系统|消防喷淋|喷淋管|喷淋
乳胶漆|内墙涂料|墙面涂料|涂料|墙漆|墙面漆
灯具|照明灯具|照明灯|灯|照明|灯管|冷库灯|日光灯
吊顶|天花|天花吊顶|石膏板吊顶|扣板吊顶|天花板|天棚
铝扣板|扣板
墙纸|壁纸|墙布
踢脚线|踢脚板|踢脚
隔断|隔墙|隔断墙
室内门|套装门|实木复合门|木门|房门|复合门|木质门
防静电地板|架空地板|活动地板|网络地板|静电地板
复合木地板|强化地板|复合地板|强化复合地板|木地板
地毯|方块地毯|块毯|满铺地毯
走廊|过道|走道|廊道
卫生间|洗手间|厕所|盥洗室
瓷砖|地砖|墙砖|地面砖|墙面砖|瓷片|釉面砖|抛光砖|瓷砖地面
脚手架|外架|外脚手架|架子|钢管脚手架
安全网|密目网|密目式安全网|防护网|密目安全网
基坑支护|基坑围护|基坑边坡围护|边坡支护|基坑边坡支护|支护
施工围挡|围挡|工地围挡
板房|活动板房|临建板房|彩钢板房|项目部板房|临时板房|临时房屋|集装箱房
保温层|保温板|外墙保温|保温材料|保温
砌体|填充墙|砌块墙|砌筑墙|墙体砌筑|砌块
模板|模板体系|木模板|模板系统|钢模板
混凝土|砼|商品混凝土|商砼
土方|土石方
挡土墙|挡墙
排水沟|截水沟|水沟
道路|路面|厂区道路|硬化路面
护栏|围栏|栏杆
电梯|客梯|升降电梯|直梯|货梯
自动扶梯|扶梯
配电房|配电室|变配电室|变电室|配电间
泵房|水泵房
办公楼|写字楼|综合楼
宿舍|宿舍楼|员工宿舍
食堂|餐厅|员工餐厅
门卫室|门卫|传达室|保安亭
库板|冷库板|保温库板|冷库保温板|冷库墙板
冷库|冷藏间|冷藏库|冷冻库|冷库间
冷库门|平移门|冷藏门|冷库平移门|保温门
冷风机|蒸发器|冷风机组|蒸发器组|空气冷却器|冷风机蒸发器
冷凝器|蒸发式冷凝器|冷凝设备
压缩机组|压缩机|制冷压缩机|制冷机组|制冷压缩机组
制冷剂|冷媒|雪种
控制柜|电气控制柜|PLC控制柜|电控柜|配电控制柜|PLC柜
配电柜|开关柜|低压柜|高压柜|低压配电柜|高压开关柜
变压器|箱式变压器|箱变|电力变压器
空压机|空气压缩机|螺杆空压机|螺杆式空压机|螺杆压缩机|空气压缩机组
检测仪|检测机|检测设备|检测仪器|光学检测机|光学检测仪|检测装置
输送机|传送带|皮带输送机|输送带|皮带机|输送线|传送线|传送机
装配线|组装线|装配流水线|组装流水线
叉车|电动叉车|内燃叉车|柴油叉车
液压搬运车|地牛|手动搬运车|手动液压叉车|搬运车|手动叉车|托盘搬运车|手动液压搬运车
货架|仓储货架|重型货架|横梁式货架|贯通式货架|立体货架|托盘货架
塔吊|塔式起重机|塔机
施工升降机|人货电梯|施工电梯|升降机
挖掘机|挖机|勾机
装载机|铲车
汽车吊|汽车起重机|吊车
行车|桥式起重机|天车|行吊|航吊
龙门吊|门式起重机|门吊
配电箱|二级配电箱|施工配电箱|电箱|开关箱|三级配电箱
钢筋弯曲机|弯曲机|弯箍机
钢筋切断机|切断机
反应釜|反应罐|反应器|搪瓷反应釜|搪玻璃反应釜
储罐|储槽|贮罐|储存罐|贮槽
离心泵|化工离心泵|离心式水泵
DCS|集散控制系统|DCS系统|分散控制系统
仪表|自控仪表|现场仪表|仪器仪表|自动化仪表
管道|工艺管道|管线|工艺管线
安全阀|弹簧安全阀
管架|管廊架|管廊|管道支架
细纱机|环锭细纱机
梳棉机|高产梳棉机
清梳联|清梳联合机
络筒机|自动络筒机
登车桥|月台调节板|装卸平台|卸货平台|液压登车桥|调节板
伸缩机|伸缩式输送机|伸缩皮带机|伸缩输送机
排风扇|风机|排风机|轴流风机|换气扇|风扇
补光灯|植物补光灯|生长灯
滴灌带|滴灌管|滴灌
卷膜器|卷膜机
棚膜|塑料薄膜|薄膜|大棚膜|农膜|PO膜
骨架|钢管骨架|镀锌钢管骨架|钢骨架|大棚骨架
遮阳网|遮光网|遮荫网
保温被|保温棉被|棉被
湿帘|水帘
水肥一体机|水肥一体化设备|水肥一体化系统|水肥一体化
服务器|机架式服务器
交换机|网络交换机
UPS|不间断电源|UPS电源
蓄电池|电池组|电池|蓄电池组
精密空调|恒温恒湿空调|机房空调|机房精密空调
存储设备|存储阵列|磁盘阵列|存储
电脑|台式电脑|电脑主机|台式机|计算机|主机
笔记本|笔记本电脑|手提电脑|便携式电脑
投影机|投影仪
复印机|复合机|多功能一体机|打印复印一体机
打印机|打印设备
收银机|POS机|收款机|POS|收银设备
摄像头|摄像机|监控摄像头|监控摄像机|监控探头|摄像枪|监控
冷柜|冷藏柜|冰柜|冷藏展示柜|风幕柜|冷冻柜
陈列架|展示架|陈列柜|展示柜
空调|空调柜机|柜式空调|空调机|柜机|空调器
中央空调|空调系统|多联机
电视|电视机|液晶电视|液晶电视机|彩电|液晶电视机
冰箱|小冰箱|迷你吧冰箱|迷你冰箱|电冰箱|小冰柜
床头柜
床垫|席梦思
被套|被罩
床单|床笠
布草|床品|床上用品
窗帘|布艺窗帘|遮光窗帘
办公桌|办公台|写字台
办公椅|座椅|椅子
文件柜|档案柜|资料柜
灶具|炉灶|燃气灶|灶台
油烟机|抽油烟机|排烟罩|烟罩
半成品|在制品|在产品
锡膏|焊锡膏|焊膏
方便面|泡面|快餐面
冻|冷冻|速冻|冻品|冰冻
后腿肉|猪后腿肉|后腿
饺子|水饺
带鱼|带鱼段
香烟|卷烟|烟草|烟
奶粉|婴幼儿奶粉|配方奶粉|婴儿奶粉
饮料|软饮料|饮品
白酒
日化用品|洗护用品|日用化学品|洗化用品|个护用品|日化品
番茄|西红柿
黄瓜|青瓜
彩椒|甜椒|柿子椒|菜椒
棉花|皮棉
涤纶短纤|涤纶短纤维|涤纶纤维
棉纱|纱线
坯布|本色坯布|白坯布
布|面料|布料
筒管|纱管
乙酸乙酯|醋酸乙酯
烧碱|液碱|液体烧碱|氢氧化钠
铁桶|钢桶|铁皮桶
家电|电器|小家电|家用电器
图书|书籍|书刊
百货|日用百货|日用品|日杂
电动自行车|电动车|电瓶车|电单车
冷轧钢卷|冷轧板卷|冷轧卷板|冷轧卷|冷轧板
大豆|黄豆
咖啡豆|咖啡生豆|生咖啡豆
轮胎|汽车轮胎|车胎
服装|服饰|衣服|成衣
原材料|原料|原辅材料|原辅料
产成品|成品|库存商品|产品
包装物|包装材料|周转材料|包材
大米|稻米
面粉|小麦粉
食用油|植物油
纸箱|瓦楞纸箱|包装箱
药品|药物
化肥|肥料
饲料|配合饲料
塑料粒子|塑料颗粒|塑胶粒子
钢材|钢材料
生猪|肉猪|育肥猪|商品猪
母猪|能繁母猪
仔猪|猪苗
轿车|小轿车|小汽车|乘用车
货车|卡车|载货汽车
客车|大巴|大客车
挂车|半挂车
发电机|发电机组|柴油发电机组|柴油发电机
电机|电动机|马达
减速机|减速器|齿轮箱
变频器|变频柜
机器人|工业机器人|机械手
锅炉|蒸汽锅炉
冷却塔|凉水塔
换热器|热交换器
注塑机|注射成型机
冲床|冲压机|压力机
数控车床|车床|CNC车床
加工中心|数控加工中心|CNC加工中心
焊机|电焊机|焊接机
贴片机|SMT贴片机
回流焊|回流焊炉|回流焊机
包装机|打包机|封箱机
烘干机|干燥机|烘干设备
搅拌机|搅拌器
光伏组件|光伏板|太阳能板|太阳能电池板
CT|CT机
核磁共振|MRI|磁共振
彩超|超声诊断仪|B超|彩色超声
监护仪|心电监护仪
病床|医用床
施救费|抢险费|施救整理费|抢救费|施救抢险费|抢险救灾费
检验费|查勘检验费|查勘费|检验检测费|检测费
清理费|清淤费|残骸清理费|清运费|残骸清运费|垃圾清运费|清污费|清障费|残值清理费|清理清运费
发电机租赁费|临时租用发电机费|租用发电机费|发电机租金|租赁发电机费
数据恢复费|数据恢复服务费
抽水费|抽水排水费|排水费|排涝费
转运费|转运仓储费|倒箱费|倒柜费|转运仓储
公估费|评估费
集装箱|货柜|集装箱柜
装修|装饰装修|装饰|装潢|装修工程
控制室|中控室|主控室|中央控制室
"""


def _parse_groups(text: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for line in text.strip().splitlines():
        words = [normalise_text(w) for w in line.split("|") if w.strip()]
        canonical = words[0]
        for word in words:
            mapping.setdefault(word, canonical)
    return mapping


_SYNONYMS = _parse_groups(_SYNONYM_GROUPS)
_SYNONYM_RE = re.compile("|".join(re.escape(w) for w in sorted(_SYNONYMS, key=len, reverse=True)))
_DROP_RE = re.compile("|".join(re.escape(w) for w in sorted(_DAMAGE_WORDS + _ACTION_WORDS, key=len, reverse=True)))
_FILLER_RE = re.compile("|".join(re.escape(w) for w in sorted(_FILLER_WORDS, key=len, reverse=True)))
_PUNCT_RE = re.compile(r"[()\[\]{}【】<>《》,，、:：;；/\\.\-_·'\"“”‘’!?！？|#+=]+")


def _core_text(text: str) -> str:
    text = _DROP_RE.sub("|", text)
    parts: list[str] = []
    last = 0
    for match in _SYNONYM_RE.finditer(text):
        parts.extend(_plain_segments(text[last : match.start()]))
        parts.append(_SYNONYMS[match.group(0)])
        last = match.end()
    parts.extend(_plain_segments(text[last:]))
    # word order carries no meaning here (屋面彩钢瓦 / 彩钢瓦屋面)
    return "|".join(sorted(set(parts)))


def _plain_segments(text: str) -> list[str]:
    """Segments of wording that is not a known synonym, fillers and punctuation removed."""
    out = _PUNCT_RE.sub("|", _FILLER_RE.sub("|", text))
    return [p for p in out.split("|") if p]


@lru_cache(maxsize=4096)
def char_features(core: str) -> tuple[frozenset[str], frozenset[str]]:
    """Character unigrams and bigrams of a core text (bigrams do not cross segment breaks)."""
    unigrams: set[str] = set()
    bigrams: set[str] = set()
    for segment in core.split("|"):
        unigrams.update(segment)
        bigrams.update(segment[i : i + 2] for i in range(len(segment) - 1))
        if len(segment) == 1:
            bigrams.add(segment)
    return frozenset(unigrams), frozenset(bigrams)


_CATEGORY_GROUPS = """
建筑物|房屋建筑物|房屋及建筑物|建筑物及构筑物|构筑物|附属构筑物|房屋|建筑|设施|配套设施|建筑工程|主体工程
机器设备|机械设备|生产设备|设备|冷链设备|制冷设备|施工设备|施工机械|施工机具|运输设备|车辆
存货|库存商品|商品|产成品|存货商品|货物|保险货物
原材料|原料|原辅材料|原辅料
半成品|在制品|在产品
包装物|包装材料|周转材料
费用|其他费用|相关费用|施救费用
装修|装饰装修|装修工程|装饰工程
电子设备|IT设备|办公设备|办公及电子设备|电子及办公设备
家具|办公家具|家具用具
临时工程|临建设施|临时设施
农作物|种植作物|作物
"""
_CATEGORY_SYNONYMS = _parse_groups(_CATEGORY_GROUPS)


def canonical_category(category: str | None) -> str:
    """Category name mapped onto a canonical family name (建筑物 / 房屋建筑物 → 建筑物)."""
    if not category:
        return ""
    text = normalise_text(category)
    return _CATEGORY_SYNONYMS.get(text, text)


# --------------------------------------------------------------------------------------------------
# Units of measure
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A unit of measure: canonical spelling, dimension and factor to the dimension's base unit."""

    key: str
    dimension: str
    factor: Decimal


_MU = Decimal("666.67")
_UNIT_TABLE: dict[str, tuple[str, str, Decimal]] = {}


def _units(words: str, key: str, dimension: str, factor: Decimal | int = 1) -> None:
    for word in words.split():
        _UNIT_TABLE[normalise_text(word)] = (key, dimension, Decimal(factor))


_units("㎡ m2 m² 平方米 平米 平方 平方公尺 sqm", "m2", "area")
_units("亩", "亩", "area", _MU)
_units("公顷 ha", "公顷", "area", 10000)
_units("m 米 延米 延长米 公尺 lm", "m", "length")
_units("km 公里 千米", "km", "length", 1000)
_units("cm 厘米", "cm", "length", Decimal("0.01"))
_units("mm 毫米", "mm", "length", Decimal("0.001"))
_units("kg 千克 公斤 kgs", "kg", "weight")
_units("t 吨 公吨 mt", "t", "weight", 1000)
_units("g 克", "g", "weight", Decimal("0.001"))
_units("斤 市斤", "斤", "weight", Decimal("0.5"))
_units("m3 m³ 立方米 立方 方 cbm", "m3", "volume")
_units("l 升 公升", "l", "volume", Decimal("0.001"))
_units("项 宗 批 次 笔 单 式 处 lot", "项", "lump")
_units("台 套 台套 部 架 组 台/套 set sets", "台", "count")
_units("个 只 pcs pc 枚", "个", "count")
_units("件 箱 ctn ctns", "件", "count")
_units("樘 扇 副", "樘", "count")
_units("罐 听", "罐", "count")
_units("本 册", "本", "count")
_units("袋 包", "袋", "count")
_units("瓶 支", "瓶", "count")
_units("块 张 片", "块", "count")
_units("条 根", "条", "count")
for _word in "辆 盏 节 株 棵 头 匹 把 卷 桶 盒 对 双 粒 羽 尾 座 口 樽 具 棚 间 户 榀 颗".split():
    _units(_word, _word, "count")


def unit_info(unit: str | None) -> UnitInfo | None:
    """Canonical form of a unit of measure, or ``None`` when absent; unknown units keep their
    spelling as key and get their own dimension."""
    if unit is None:
        return None
    text = normalise_text(unit)
    if not text:
        return None
    entry = _UNIT_TABLE.get(text)
    if entry is None:
        return UnitInfo(key=text, dimension="other:" + text, factor=Decimal(1))
    key, dimension, factor = entry
    return UnitInfo(key=key, dimension=dimension, factor=factor)
