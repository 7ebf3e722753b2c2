"""Unit tests of the alignment engine and its normalisation (对齐引擎)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.reconciliation.align import (
    Alignment,
    Item,
    Report,
    ReportInputError,
    align,
    alignment_to_json,
    load_report_json,
    parse_report,
)
from tandem.reconciliation.normalize import (
    analyse_description,
    cn_to_int,
    convert_cn_numerals,
    unit_info,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "reconcile"


def ids(description: str) -> dict[str, frozenset[str]]:
    return dict(analyse_description(description).ids)


def core(description: str) -> str:
    return analyse_description(description).core


def item(ref: str, description: str, loss: str, **kw: Any) -> Item:
    fields: dict[str, Any] = {"section": "building"} | kw
    for name in ("quantity", "unit_value", "depreciation_rate"):
        if name in fields and fields[name] is not None:
            fields[name] = Decimal(fields[name])
    return Item(ref=ref, description=description, loss=Decimal(loss), **fields)


def report(*items: Item) -> Report:
    return Report(items=tuple(items))


def pairs(al: Alignment) -> set[tuple[str, str]]:
    return {(p.a.ref, p.b.ref) for p in al.pairs}


# --- numerals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("十四", 14),
        ("二十", 20),
        ("二十一", 21),
        ("一百零五", 105),
        ("两", 2),
        ("叁", 3),
    ],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert cn_to_int(text) == value


def test_numerals_converted_only_where_they_count() -> None:
    assert convert_cn_numerals("一号车间") == "1号车间"
    assert convert_cn_numerals("十一层") == "11层"
    assert convert_cn_numerals("地下一层") == "地下1层"
    assert convert_cn_numerals("水肥一体化设备") == "水肥一体化设备"
    assert convert_cn_numerals("日用百货") == "日用百货"


@pytest.mark.parametrize("text", ["1#厂房屋面", "1号厂房屋面", "一号厂房屋面", "#1厂房屋面", "厂房1屋面"])
def test_building_numbers_written_differently(text: str) -> None:
    assert ids(text)["no"] == {"1"}


@pytest.mark.parametrize("text", ["2F会议室", "2层会议室", "二层会议室", "二楼会议室"])
def test_floors_written_differently(text: str) -> None:
    assert ids(text)["floor"] == {"2"}


@pytest.mark.parametrize("text", ["B1车库地坪", "负一层车库地坪", "地下一层车库地坪", "车库地坪(B1)"])
def test_basements_written_differently(text: str) -> None:
    assert ids(text)["floor"] == {"-1"}


def test_building_number_is_not_a_floor() -> None:
    assert ids("六号楼-模板") == {"no": frozenset({"6"})}
    assert ids("模板(六楼)") == {"floor": frozenset({"6"})}


def test_container_numbers_and_tags_normalised() -> None:
    assert ids("服装（箱号CMAU981638-9）")["container"] == ids("柜号CMAU 9816389-纸箱装服装")["container"]
    assert ids("离心泵 P-101A")["model"] == ids("化工离心泵（P101A）")["model"] == {"P101A"}
    assert ids("离心泵 P-101B")["model"] != ids("离心泵 P-101A")["model"]
    assert ids("CK6140数控车床")["model"] == ids("数控车床（CK6140）")["model"]


def test_specifications_normalised() -> None:
    assert ids("空气压缩机（75KW）")["spec"] == ids("螺杆空压机 75kW")["spec"]
    assert ids("UPS电源60千伏安")["spec"] == ids("不间断电源60kVA")["spec"]
    assert ids("电动叉车2吨")["spec"] == ids("电动叉车2t")["spec"] == ids("叉车 2000kg")["spec"]
    assert ids("液晶电视55寸")["spec"] == ids("液晶电视（55英寸）")["spec"]
    assert ids("空调柜机（5匹）")["spec"] == ids("空调柜机5P")["spec"]


def test_zones() -> None:
    assert ids("B区 地砖")["zone"] == ids("B区域-瓷砖地面")["zone"] == {"B"}
    assert ids("A区 地砖")["zone"] != ids("B区 地砖")["zone"]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("1#厂房彩钢瓦屋面", "一号车间屋顶彩钢板"),
        ("1#厂房-屋面彩钢瓦", "屋顶彩钢板更换（一号车间）"),
        ("地牛", "液压搬运车"),
        ("抢险费用", "施救费用"),
        ("修复环氧地坪（烧毁）", "环氧树脂地坪"),
    ],
)
def test_synonyms_give_one_core(left: str, right: str) -> None:
    assert core(left) == core(right)
    assert analyse_description(left).ids == analyse_description(right).ids


# --- units -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["㎡", "m2", "m²", "平方米", "平米", "M2"])
def test_square_metres_are_one_unit(unit: str) -> None:
    info = unit_info(unit)
    assert info is not None and info.key == "m2" and info.factor == 1


def test_scaled_units() -> None:
    kg, t, mu, m2 = unit_info("kg"), unit_info("吨"), unit_info("亩"), unit_info("㎡")
    assert kg is not None and t is not None and mu is not None and m2 is not None
    assert kg.dimension == t.dimension == "weight" and t.factor == 1000 * kg.factor
    assert mu.dimension == m2.dimension == "area" and mu.factor == Decimal("666.67")
    assert unit_info(None) is None


def test_fields_differ_after_normalisation() -> None:
    a = report(item("1", "冻虾仁", "10000.00", section="stock", quantity="2", unit="t", unit_value="5000.00"))
    b = report(item("9", "冻虾仁", "10000.00", section="stock", quantity="2000", unit="kg", unit_value="5.00"))
    (pair,) = align(a, b).pairs
    assert pair.fields_differ == ()
    a = report(item("1", "番茄(2号大棚)", "28985.69", quantity="1.2", unit="亩", unit_value="24154.74"))
    b = report(item("7", "西红柿（#2温室）", "28984.00", quantity="800.00", unit="㎡", unit_value="36.23"))
    (pair,) = align(a, b).pairs
    assert pair.fields_differ == ()
    a = report(item("1", "1#厂房屋面", "90.00", quantity="10", unit="㎡", unit_value="10", depreciation_rate="0.1"))
    b = report(item("2", "一号车间屋顶", "88.00", quantity="11", unit="平方米", unit_value="8"))
    (pair,) = align(a, b).pairs
    assert pair.fields_differ == ("quantity", "unit_value", "depreciation_rate")


# --- engine ----------------------------------------------------------------------------------------


def test_near_duplicates_do_not_pair() -> None:
    figures = {"quantity": "1", "unit": "台", "unit_value": "79182.59", "depreciation_rate": "0.37"}
    a = report(
        item("1", "离心泵 P-101A", "49885.03", section="machinery", **figures),
        item("2", "离心泵 P-101B", "49885.03", section="machinery", **figures),
        item("3", "2#厂房屋面彩钢瓦", "1000.00", quantity="10", unit="㎡", unit_value="100"),
        item("4", "卫生间瓷砖(三楼)", "500.00", quantity="5", unit="㎡", unit_value="100"),
    )
    b = report(
        item("B1", "化工离心泵（P-101A）", "49885.03", section="machinery", **figures),
        item("B2", "屋顶彩钢板（一号车间）", "1000.00", quantity="10", unit="平米", unit_value="100"),
        item("B3", "2层-卫生间墙砖", "500.00", quantity="5", unit="m2", unit_value="100"),
    )
    al = align(a, b)
    assert pairs(al) == {("1", "B1")}
    assert [i.ref for i in al.only_a] == ["2", "3", "4"]
    assert [i.ref for i in al.only_b] == ["B2", "B3"]


def test_pairs_never_cross_sections() -> None:
    a = report(item("1", "防火门", "100.00", section="building"))
    b = report(item("1", "防火门", "100.00", section="machinery"))
    al = align(a, b)
    assert al.pairs == () and len(al.only_a) == len(al.only_b) == 1


def test_one_to_one_and_reordered_items() -> None:
    a = report(
        item("1", "1#厂房彩钢瓦屋面", "378000.00", quantity="1200", unit="平方米", unit_value="350"),
        item("2", "1#厂房彩钢瓦屋面", "378000.00", quantity="1200", unit="平方米", unit_value="350"),
        item("3", "2号车间环氧地坪", "95560.00", quantity="1000", unit="㎡", unit_value="95.56"),
    )
    b = report(
        item("x", "环氧树脂地坪(#2厂房)", "95560.00", quantity="1000", unit="m2", unit_value="95.56"),
        item("y", "屋顶彩钢板（一号车间）", "352800.00", quantity="1120", unit="㎡", unit_value="350"),
    )
    al = align(a, b)
    found = pairs(al)
    assert ("3", "x") in found and len(found) == 2
    assert len({a for a, _ in found}) == len({b for _, b in found}) == 2
    assert len(al.only_a) == 1 and not al.only_b


def test_alignment_json_shape() -> None:
    a = report(
        item(
            "1",
            "1#厂房彩钢瓦屋面",
            "378000.00",
            quantity="1200",
            unit="平方米",
            unit_value="350.00",
            depreciation_rate="0.10",
        ),
        item("5", "门卫室", "1000", quantity="1", unit="项", unit_value="1000"),
    )
    b = report(
        item(
            "3",
            "一号车间屋顶彩钢板",
            "352800.00",
            quantity="1120",
            unit="㎡",
            unit_value="350.00",
            depreciation_rate="0.10",
        ),
        item("7", "围墙", "20.5", quantity="1", unit="m", unit_value="20.5"),
    )
    out = alignment_to_json(align(a, b))
    assert json.loads(json.dumps(out)) == out
    (pair,) = out["pairs"]
    assert set(pair) == {"a", "b", "confidence", "loss_a", "loss_b", "difference", "fields_differ"}
    assert (pair["a"], pair["b"]) == ("1", "3")
    assert 0 < pair["confidence"] <= 1
    assert (pair["loss_a"], pair["loss_b"], pair["difference"]) == ("378000.00", "352800.00", "25200.00")
    assert pair["fields_differ"] == ["quantity"]
    assert out["only_a"] == ["5"] and out["only_b"] == ["7"]
    assert out["totals"] == {
        "a": "379000.00",
        "b": "352820.50",
        "paired_a": "378000.00",
        "paired_b": "352800.00",
        "difference": "26179.50",
    }


# --- input validation ------------------------------------------------------------------------------


def good_doc() -> dict[str, Any]:
    return {
        "report_no": "GA-1",
        "items": [
            {"ref": "1", "section": "building", "description": "围墙", "loss": "10.00"},
            {
                "ref": "2",
                "section": "building",
                "description": "屋面",
                "loss": "20.00",
                "quantity": "2",
                "unit": "㎡",
                "unit_value": "10",
                "depreciation_rate": "0",
                "category": "建筑物",
            },
        ],
    }


def test_parse_report_keeps_decimals() -> None:
    rep = load_report_json(json.dumps(good_doc()), source="a.json")
    assert rep.report_no == "GA-1" and [i.ref for i in rep.items] == ["1", "2"]
    assert rep.items[1].quantity == Decimal("2") and isinstance(rep.items[0].loss, Decimal)
    rep = load_report_json(
        '{"items": [{"ref": "1", "section": "s", "description": "d", "loss": 1.10}]}', source="a.json"
    )
    assert rep.items[0].loss == Decimal("1.10")


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d["items"][1].pop("loss"), "items[1].loss", "is required"),
        (lambda d: d["items"][1].update(loss="-1"), "items[1].loss", "must not be negative"),
        (lambda d: d["items"][1].update(quantity="-2"), "items[1].quantity", "must not be negative"),
        (lambda d: d["items"][1].update(unit_value="abc"), "items[1].unit_value", "not a decimal"),
        (lambda d: d["items"][1].update(depreciation_rate="1.5"), "items[1].depreciation_rate", "between"),
        (lambda d: d["items"][1].update(ref="1"), "items[1].ref", "duplicate"),
        (lambda d: d["items"][0].pop("section"), "items[0].section", "is required"),
        (lambda d: d["items"][0].update(description=""), "items[0].description", "must not be empty"),
        (lambda d: d["items"][0].update(loss=1.5), "items[0].loss", "float"),
        (lambda d: d.pop("items"), "items", "is required"),
    ],
)
def test_parse_report_errors_name_field(change: Any, path: str, message: str) -> None:
    doc = good_doc()
    change(doc)
    with pytest.raises(ReportInputError) as info:
        parse_report(doc, source="b.json")
    assert info.value.source == "b.json" and info.value.path == path
    assert message in info.value.message
    assert str(info.value).startswith(f"b.json: {path}: ")


@pytest.mark.parametrize("text", ["{", "[1, 2]", "", '{"items": [{"loss": NaN}]}'])
def test_unparseable_reports(text: str) -> None:
    with pytest.raises(ReportInputError) as info:
        load_report_json(text, source="x.json")
    assert str(info.value).startswith("x.json: ")
    assert "\n" not in str(info.value)


# --- property: order does not matter ---------------------------------------------------------------


def load_case(name: str) -> tuple[Report, Report]:
    folder = DATA / name
    return (
        load_report_json((folder / "a.json").read_bytes(), source="a.json"),
        load_report_json((folder / "b.json").read_bytes(), source="b.json"),
    )


CASES = sorted(p.name for p in DATA.iterdir() if p.is_dir())


@settings(max_examples=25, deadline=None, database=None)
@given(case=st.sampled_from(CASES), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_alignment_is_one_to_one_whatever_the_order(case: str, seed: int) -> None:
    rep_a, rep_b = load_case(case)
    reference = pairs(align(rep_a, rep_b))
    rnd = random.Random(seed)
    items_a, items_b = list(rep_a.items), list(rep_b.items)
    rnd.shuffle(items_a)
    rnd.shuffle(items_b)
    al = align(Report(items=tuple(items_a)), Report(items=tuple(items_b)))
    refs_a = [p.a.ref for p in al.pairs] + [i.ref for i in al.only_a]
    refs_b = [p.b.ref for p in al.pairs] + [i.ref for i in al.only_b]
    assert sorted(refs_a) == sorted(i.ref for i in rep_a.items)
    assert sorted(refs_b) == sorted(i.ref for i in rep_b.items)
    assert all(p.a.section == p.b.section for p in al.pairs)
    assert all(0.0 <= p.confidence <= 1.0 for p in al.pairs)
    assert pairs(al) == reference
