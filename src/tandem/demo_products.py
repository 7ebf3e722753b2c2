"""Demo insurers' products (演示产品) and standing: plausible rates in ‰ for 企业财产险, 机器损坏险,
营业中断险, 公众责任险 and 建筑/安装工程险, factor ranges and minimum premiums in the usual ranges
of filed Chinese commercial P&C products, and each insurer's solvency ratio and risk rating."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tandem.access.models import Organisation
from tandem.audit import service as audit
from tandem.party.models import Insurer, InsurerProduct, ProductStatus

PD = ["fire", "explosion", "lightning", "aircraft_impact", "rainstorm", "flood", "typhoon", "windstorm", "hail"]
PD_MORE = [*PD, "snow_ice", "landslide", "subsidence", "water_damage"]
PD_EXCLUDED = ["earthquake", "tsunami", "war", "terrorism", "nuclear", "pollution", "wear_and_tear"]
PD_FACTORS = [
    ("sprinkler", "0.80", "1.00"),
    ("construction", "0.90", "1.20"),
    ("occupancy", "0.80", "1.30"),
    ("claims_history", "0.80", "1.30"),
    ("risk_management", "0.85", "1.15"),
]
CAR_PERILS = [*PD_MORE, "faulty_workmanship", "theft", "third_party_injury", "third_party_property"]
CAR_EXCLUDED = ["faulty_design", "wear_and_tear", "war", "terrorism", "nuclear", "pollution"]


def _spec(
    code: str,
    name: str,
    lines: list[str],
    rates: dict[str, str],
    covered: list[str],
    excluded: list[str],
    factors: list[tuple[str, str, str]],
    *,
    capacity: str,
    minimum: str,
    bounds: tuple[str, str] = ("0.70", "1.30"),
    short: str = "table",
    fund_mode: str = "traditional",
    summary: str = "",
    status: ProductStatus = ProductStatus.PUBLISHED,
    since: int = 0,
    until: int | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "lines": lines,
        "rates": [{"section_type": k, "rate_permille": v} for k, v in rates.items()],
        "perils_covered": covered,
        "perils_excluded": excluded,
        "factors": [{"code": c, "min": lo, "max": hi} for c, lo, hi in factors],
        "capacity": Decimal(capacity),
        "minimum_premium": Decimal(minimum),
        "coefficient_min": Decimal(bounds[0]),
        "coefficient_max": Decimal(bounds[1]),
        "short_period": short,
        "fund_mode": fund_mode,
        "summary": summary,
        "status": status,
        "since": since,
        "until": until,
    }


# Per demo insurer, its products; "since" and "until" are the years validity starts and ends, from this year.
CATALOGUES: list[list[dict[str, Any]]] = [
    [
        _spec(
            "ZA-QC-2024",
            "企业财产保险（2024版）",
            ["企业财产保险"],
            {"building": "0.85", "decoration": "1.00", "machinery": "0.90", "stock": "1.20", "contents": "1.10"},
            PD_MORE,
            PD_EXCLUDED,
            PD_FACTORS,
            capacity="800000000.00",
            minimum="1000.00",
            summary="火灾、爆炸、雷击、暴雨、洪水、台风等自然灾害及意外事故造成的物质损失",
            since=-2,
        ),
        _spec(
            "ZA-QC-2021",
            "企业财产保险（2021版）",
            ["企业财产保险"],
            {"building": "0.95", "machinery": "1.00", "stock": "1.35"},
            PD,
            PD_EXCLUDED,
            PD_FACTORS[:3],
            capacity="500000000.00",
            minimum="1000.00",
            summary="已由2024版替代",
            status=ProductStatus.WITHDRAWN,
            since=-5,
            until=-3,
        ),
        _spec(
            "ZA-HY-2023",
            "国内水路、陆路货物运输保险",
            ["货物运输保险"],
            {"stock": "0.50"},
            ["fire", "explosion", "rainstorm", "flood", "typhoon", "theft"],
            ["war", "nuclear", "wear_and_tear"],
            [("claims_history", "0.80", "1.30")],
            capacity="50000000.00",
            minimum="300.00",
            summary="基本险与综合险",
            since=-3,
        ),
        _spec(
            "ZA-JX-2025",
            "机器损坏保险（2025版）",
            ["机器损坏保险"],
            {"machinery": "2.50", "electronic_equipment": "3.20"},
            ["machinery_breakdown", "explosion", "faulty_workmanship", "faulty_design"],
            ["wear_and_tear", "fire", "flood", "war", "nuclear"],
            [("equipment_age", "0.90", "1.40"), ("claims_history", "0.80", "1.30"), ("deductible", "0.80", "1.00")],
            capacity="300000000.00",
            minimum="2000.00",
            bounds=("0.70", "1.50"),
            summary="设计、制造或安装错误，操作失误，电气短路、超负荷等原因造成机器设备的突然损坏",
            since=-1,
        ),
        _spec(
            "ZA-YZ-2025",
            "营业中断保险（2025版）",
            ["营业中断保险"],
            {"gross_profit": "1.60"},
            [*PD, "machinery_breakdown", "utility_failure"],
            PD_EXCLUDED,
            [("indemnity_period", "0.80", "1.40"), ("claims_history", "0.80", "1.30")],
            capacity="200000000.00",
            minimum="3000.00",
            summary="物质损失保险责任范围内的事故导致营业中断的毛利润损失，赔偿期限不超过12个月",
            since=-1,
        ),
        _spec(
            "ZA-GZ-2025",
            "公众责任保险（2025版）",
            ["公众责任保险"],
            {"public_liability": "2.40"},
            ["third_party_injury", "third_party_property", "fire", "explosion"],
            ["pollution", "war", "terrorism", "nuclear"],
            [("occupancy", "0.80", "1.50"), ("limit_level", "0.70", "1.20"), ("claims_history", "0.80", "1.30")],
            capacity="50000000.00",
            minimum="800.00",
            bounds=("0.60", "1.50"),
            summary="营业场所内因意外事故造成第三者人身伤亡或财产损失依法应负的经济赔偿责任",
            since=-1,
        ),
        _spec(
            "ZA-GC-2025",
            "建筑安装工程一切险（2025版）",
            ["建筑工程一切险", "安装工程一切险"],
            {"contract_works": "1.80", "construction_plant": "3.00", "third_party_liability": "1.50"},
            [*CAR_PERILS, "testing_commissioning"],
            CAR_EXCLUDED,
            [("construction_period", "0.90", "1.30"), ("natural_hazard", "0.90", "1.40")],
            capacity="1000000000.00",
            minimum="5000.00",
            short="none",
            summary="工程期间自然灾害及意外事故造成的物质损失及第三者责任；按工期一次计收保费",
            since=-1,
        ),
    ],
    [
        _spec(
            "TH-CA-2025",
            "财产一切险",
            ["财产一切险", "企业财产保险"],
            {"building": "0.95", "machinery": "1.05", "stock": "1.50", "contents": "1.20"},
            [*PD_MORE, "theft", "spontaneous_combustion"],
            [*PD_EXCLUDED, "machinery_breakdown"],
            PD_FACTORS,
            capacity="1000000000.00",
            minimum="1500.00",
            bounds=("0.60", "1.40"),
            fund_mode="investment",
            summary="除外责任以外的一切自然灾害和意外事故",
            since=-1,
        ),
        _spec(
            "TH-QC-2025",
            "企业财产综合险",
            ["企业财产保险"],
            {"building": "0.80", "machinery": "0.85", "stock": "1.10"},
            PD_MORE,
            PD_EXCLUDED,
            PD_FACTORS[:4],
            capacity="600000000.00",
            minimum="800.00",
            summary="火灾、爆炸、雷击及列明的自然灾害造成的物质损失",
            since=-1,
        ),
        _spec(
            "TH-JX-2025",
            "机器损坏保险",
            ["机器损坏保险"],
            {"machinery": "2.80", "electronic_equipment": "3.50"},
            ["machinery_breakdown", "explosion", "faulty_workmanship"],
            ["wear_and_tear", "faulty_design", "war", "nuclear"],
            [("equipment_age", "0.90", "1.50"), ("risk_management", "0.85", "1.15")],
            capacity="200000000.00",
            minimum="2000.00",
            since=-1,
        ),
        _spec(
            "TH-YZ-2025",
            "营业中断保险",
            ["营业中断保险"],
            {"gross_profit": "1.90"},
            [*PD, "machinery_breakdown"],
            [*PD_EXCLUDED, "utility_failure"],
            [("indemnity_period", "0.80", "1.50")],
            capacity="150000000.00",
            minimum="3000.00",
            since=-1,
        ),
        _spec(
            "TH-GZ-2025",
            "公众责任保险",
            ["公众责任保险"],
            {"public_liability": "2.80"},
            ["third_party_injury", "third_party_property", "fire", "explosion", "water_damage"],
            ["pollution", "war", "terrorism", "nuclear"],
            [("occupancy", "0.80", "1.60"), ("limit_level", "0.70", "1.20")],
            capacity="30000000.00",
            minimum="1000.00",
            bounds=("0.60", "1.60"),
            since=-1,
        ),
        _spec(
            "TH-JG-2025",
            "建筑工程一切险",
            ["建筑工程一切险"],
            {"contract_works": "2.00", "construction_plant": "3.20", "third_party_liability": "1.60"},
            CAR_PERILS,
            CAR_EXCLUDED,
            [("construction_period", "0.90", "1.30")],
            capacity="800000000.00",
            minimum="5000.00",
            short="none",
            summary="物质损失及第三者责任",
            since=-1,
        ),
        _spec(
            "TH-AG-2025",
            "安装工程一切险",
            ["安装工程一切险"],
            {"contract_works": "1.60", "third_party_liability": "1.40"},
            [*CAR_PERILS, "testing_commissioning"],
            CAR_EXCLUDED,
            [("construction_period", "0.90", "1.30")],
            capacity="600000000.00",
            minimum="5000.00",
            short="none",
            since=-1,
        ),
        _spec(
            "TH-HW-2026",
            "环境污染责任保险（报备中）",
            ["环境污染责任保险"],
            {"public_liability": "6.00"},
            ["pollution", "third_party_injury", "third_party_property"],
            ["war", "nuclear"],
            [("occupancy", "0.80", "2.00")],
            capacity="20000000.00",
            minimum="5000.00",
            status=ProductStatus.DRAFT,
            since=1,
        ),
    ],
]

# (comprehensive solvency ratio %, risk rating): as last disclosed.
STANDING = [("215.40", "A"), ("168.70", "B")]


def _quarter_end_before(today: dt.date) -> dt.date:
    """The last day of the quarter before the one ``today`` is in (the latest disclosed figures)."""
    first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return first - dt.timedelta(days=1)


def load(session: Session, insurers: list[Organisation], today: dt.date, now: dt.datetime) -> None:
    """Each demo insurer's catalogue and standing."""
    for org, catalogue, (ratio, rating) in zip(insurers, CATALOGUES, STANDING, strict=True):
        for spec in catalogue:
            values = {k: v for k, v in spec.items() if k not in ("since", "until")}
            until = None if spec["until"] is None else dt.date(today.year + spec["until"], 12, 31)
            product = InsurerProduct(
                insurer_id=org.id,
                currency="CNY",
                valid_from=dt.date(today.year + spec["since"], 1, 1),
                valid_until=until,
                version=1,
                updated_at=now,
                **values,
            )
            session.add(product)
        session.add(
            Insurer(
                organisation_id=org.id,
                solvency_ratio=Decimal(ratio),
                risk_rating=rating,
                standing_as_of=_quarter_end_before(today),
            )
        )
        session.flush()
        audit.record(
            session,
            audit.SYSTEM,
            action="insurer.standing_recorded",
            entity_type="insurer",
            entity_id=org.id,
            at=now,
            chain_key=f"org:{org.id}",
            after={"solvency_ratio": ratio, "risk_rating": rating},
        )
