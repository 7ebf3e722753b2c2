"""The controlled vocabulary of cover (承保要素词表), in one place: lines of insurance (险种), perils
(风险/责任), section types, rating factors (费率调整因子) and fund management modes (险资管理模式).

Insurers' products state their scope of cover with these peril codes, and risk points name the perils
they concern with the same codes, so that screening can set one against the other. Labels are English
msgids, translated at display time (``label`` filter, groups ``peril``, ``section_type``,
``rating_factor``, ``fund_mode``); lines are Chinese names kept as they are (the expert pool schema's
closed list, ``shared/data/experts/README.md``).
"""

from __future__ import annotations

from collections.abc import Mapping

from tandem.kit.i18n import N_

# Lines of insurance: the closed list of the pool schema (also the lines of adjusters and experts).
LINES: tuple[str, ...] = (
    "企业财产保险",
    "财产一切险",
    "营业中断保险",
    "机器损坏保险",
    "建筑工程一切险",
    "安装工程一切险",
    "工程质量潜在缺陷保险",
    "货物运输保险",
    "船舶保险",
    "船东责任保险",
    "机动车辆保险",
    "产品责任保险",
    "产品召回保险",
    "公众责任保险",
    "雇主责任保险",
    "安全生产责任保险",
    "环境污染责任保险",
    "种植业保险",
    "养殖业保险",
    "森林保险",
    "航空保险",
    "能源保险",
    "家庭财产保险",
    "巨灾保险",
    "艺术品保险",
    "珠宝商综合保险",
    "意外伤害保险",
    "职业责任保险",
)

#: Perils (风险): what a product covers or excludes, and what a risk point concerns.
PERILS: Mapping[str, str] = {
    "fire": N_("Fire"),
    "explosion": N_("Explosion"),
    "lightning": N_("Lightning"),
    "aircraft_impact": N_("Falling aircraft and other aerial objects"),
    "rainstorm": N_("Rainstorm"),
    "flood": N_("Flood"),
    "typhoon": N_("Typhoon"),
    "windstorm": N_("Windstorm and tornado"),
    "hail": N_("Hail"),
    "snow_ice": N_("Snowstorm and ice"),
    "landslide": N_("Debris flow, landslide and cliff collapse"),
    "subsidence": N_("Sudden ground subsidence"),
    "earthquake": N_("Earthquake"),
    "tsunami": N_("Tsunami"),
    "theft": N_("Theft and robbery"),
    "water_damage": N_("Burst tanks and pipes"),
    "machinery_breakdown": N_("Mechanical and electrical breakdown"),
    "spontaneous_combustion": N_("Spontaneous combustion"),
    "utility_failure": N_("Interruption of water, power or gas supply"),
    "faulty_design": N_("Faulty design"),
    "faulty_workmanship": N_("Faulty workmanship in construction or erection"),
    "testing_commissioning": N_("Testing and commissioning"),
    "wear_and_tear": N_("Wear and tear, corrosion"),
    "riot_strike": N_("Strike, riot and civil commotion"),
    "terrorism": N_("Terrorism"),
    "war": N_("War and military action"),
    "nuclear": N_("Nuclear radiation and contamination"),
    "pollution": N_("Pollution"),
    "third_party_injury": N_("Third-party bodily injury"),
    "third_party_property": N_("Third-party property damage"),
}

#: Section types (标的类别): what a section of a programme insures; products rate each in per mille.
SECTION_TYPES: Mapping[str, str] = {
    "building": N_("Buildings"),
    "decoration": N_("Fit-out and decoration"),
    "machinery": N_("Machinery and equipment"),
    "electronic_equipment": N_("Electronic equipment"),
    "stock": N_("Stock"),
    "contents": N_("Contents and other property"),
    "gross_profit": N_("Gross profit (business interruption)"),
    "public_liability": N_("Public liability (limit of indemnity)"),
    "contract_works": N_("Contract works"),
    "construction_plant": N_("Construction plant and equipment"),
    "third_party_liability": N_("Third-party liability (construction or erection)"),
}

#: Rating factors (费率调整因子): each product allows a range per factor (premium.md, step 4).
RATING_FACTORS: Mapping[str, str] = {
    "sprinkler": N_("Sprinkler system"),
    "fire_brigade": N_("Distance to the fire brigade"),
    "construction": N_("Construction class"),
    "occupancy": N_("Occupancy"),
    "claims_history": N_("Claims history"),
    "risk_management": N_("Risk management"),
    "natural_hazard": N_("Natural hazard zone"),
    "deductible": N_("Deductible level"),
    "sum_insured_scale": N_("Size of the sum insured"),
    "equipment_age": N_("Age of equipment"),
    "indemnity_period": N_("Indemnity period"),
    "construction_period": N_("Construction period"),
    "limit_level": N_("Level of the limit of indemnity"),
}

#: 险资管理模式: how the premium is managed — a pure protection product, or a non-life investment-type
#: product (非寿险投资型产品) whose investment part is managed apart.
FUND_MODES: Mapping[str, str] = {
    "traditional": N_("Traditional (protection only)"),
    "investment": N_("Investment-type (non-life)"),
}

#: 风险综合评级 of an insurer under C-ROSS (偿二代): A best, D worst.
RISK_RATINGS: Mapping[str, str] = {
    "A": N_("A: low risk in every respect"),
    "B": N_("B: low risk, some weaknesses"),
    "C": N_("C: serious weaknesses"),
    "D": N_("D: severe problems"),
}
