"""The report draft editor (公估报告草稿): itemised loss rows per policy section, added and removed on the
server (no page script), validated into the draft content the API's ``DraftIn`` describes. The rows
editor (``SectionForm`` with its fields, :func:`read_rows`, :func:`apply_op`) serves other reports' row
lists too (the pre-assessment's risk points)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tandem.kit.i18n import N_
from tandem.kit.money import round_cny
from tandem.web import forms

ITEM_FIELDS = ("ref", "description", "quantity", "unit", "unit_value", "depreciation", "salvage", "loss")
MAX_ROWS = 200
NO_ITEMS = N_("Add at least one loss item.")
DUPLICATE_REF = N_("Item numbers must be unique.")
LOSS_OR_FIGURES = N_("Enter the loss, or the quantity and unit value to work it out.")
SALVAGE_ABOVE_LOSS = N_("Salvage cannot exceed the loss.")


@dataclass
class SectionForm:
    code: str
    name: str
    rows: list[dict[str, str]]
    replacement_value: str = ""
    fields: tuple[str, ...] = ITEM_FIELDS

    @property
    def total(self) -> Decimal:
        out = Decimal(0)
        for r in self.rows:
            found = forms.decimal(r.get("loss", ""))
            if found is not None:
                out += found
        return out


@dataclass
class DraftForm:
    sections: list[SectionForm]
    cause: str = ""
    liability: str = ""
    conclusion: str = ""
    errors: dict[str, object] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((s.total for s in self.sections), Decimal(0))


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def from_content(content: dict[str, Any] | None, sections: list[tuple[str, str]]) -> DraftForm:
    """The editor for a saved draft (or an empty one: one row in the first section)."""
    saved = {s["code"]: s for s in (content or {}).get("sections", [])}
    out = []
    for i, (code, name) in enumerate(sections):
        sec = saved.get(code)
        rows = []
        for item in (sec or {}).get("items", []):
            rate = item.get("depreciation_rate")
            rows.append(
                {
                    "ref": _plain(item.get("ref")),
                    "description": _plain(item.get("description")),
                    "quantity": _plain(item.get("quantity")),
                    "unit": _plain(item.get("unit")),
                    "unit_value": _plain(item.get("unit_value")),
                    "depreciation": format((Decimal(str(rate)) * 100).normalize(), "f")
                    if rate not in (None, "")
                    else "",
                    "salvage": _plain(item.get("salvage")),
                    "loss": _plain(item.get("loss")),
                }
            )
        if not rows and content is None and i == 0:
            rows.append(dict.fromkeys(ITEM_FIELDS, ""))
        out.append(SectionForm(code, name, rows, _plain((sec or {}).get("replacement_value"))))
    c = content or {}
    return DraftForm(out, _plain(c.get("cause")), _plain(c.get("liability")), _plain(c.get("conclusion")))


def read_rows(
    form: Mapping[str, Any], code: str, fields: tuple[str, ...], limits: Mapping[str, int] | None = None
) -> list[dict[str, str]]:
    """The rows ``<code>.<i>.<field>`` of a posted rows editor, in order, whatever their count (the count
    in ``<code>.rows``); each value cut at its limit (300 unless given) plus one, so too long shows."""
    try:
        count = min(int(forms.text(form, f"{code}.rows", 5) or 0), MAX_ROWS)
    except ValueError:
        count = 0
    limit = limits or {}
    return [{f: forms.text(form, f"{code}.{i}.{f}", limit.get(f, 300)) for f in fields} for i in range(count)]


def from_post(form: Mapping[str, Any], sections: list[tuple[str, str]]) -> DraftForm:
    """What the editor held when posted: rows are read in order, whatever their count."""
    out = []
    for code, name in sections:
        rows = read_rows(form, code, ITEM_FIELDS)
        out.append(SectionForm(code, name, rows, forms.text(form, f"{code}.replacement_value", 40)))
    return DraftForm(
        out,
        forms.text(form, "cause", 20000),
        forms.text(form, "liability", 20000),
        forms.text(form, "conclusion", 20000),
    )


def apply_op(draft: DraftForm | list[SectionForm], op: str) -> bool:
    """``add:<code>`` or ``remove:<code>:<row>`` on the editor's row lists; True when the op changed the
    rows (nothing is saved)."""
    kind, _, rest = op.partition(":")
    code, _, index = rest.partition(":")
    lists = draft.sections if isinstance(draft, DraftForm) else draft
    sec = next((s for s in lists if s.code == code), None)
    if sec is None:
        return False
    if kind == "add" and len(sec.rows) < MAX_ROWS:
        sec.rows.append(dict.fromkeys(sec.fields, ""))
        return True
    if kind == "remove" and index.isdigit() and int(index) < len(sec.rows):
        del sec.rows[int(index)]
        return True
    return False


def empty(row: dict[str, str]) -> bool:
    return not any(v.strip() for v in row.values())


def _next_ref(used: set[str], counter: int) -> tuple[str, int]:
    """The next free numeric item reference."""
    counter += 1
    while str(counter) in used:
        counter += 1
    used.add(str(counter))
    return str(counter), counter


def _row_item(row: dict[str, str], key: str, ref: str, errors: dict[str, object]) -> dict[str, Any]:
    """One editor row as a draft item; its field errors go to ``errors`` (keys ``<key>.<field>``)."""
    description = row["description"].strip()
    if not description:
        errors[f"{key}.description"] = forms.REQUIRED
    elif len(description) > 300:
        errors[f"{key}.description"] = forms.TOO_LONG
    quantity = forms.number(row["quantity"], errors, f"{key}.quantity")
    unit = row["unit"].strip()
    if len(unit) > 20:
        errors[f"{key}.unit"] = forms.TOO_LONG
    unit_value = forms.money(row["unit_value"], errors, f"{key}.unit_value", required=False)
    rate = forms.percent(row["depreciation"], errors, f"{key}.depreciation")
    salvage = forms.money(row["salvage"], errors, f"{key}.salvage", required=False)
    loss = forms.money(row["loss"], errors, f"{key}.loss", required=False)
    if loss is None and f"{key}.loss" not in errors:
        if quantity is not None and unit_value is not None:
            loss = round_cny(quantity * unit_value * (1 - (rate or Decimal(0))))
            row["loss"] = f"{loss:.2f}"
        else:
            errors[f"{key}.loss"] = LOSS_OR_FIGURES
    if loss is not None and salvage is not None and salvage > loss:
        errors[f"{key}.salvage"] = SALVAGE_ABOVE_LOSS
    item: dict[str, Any] = {"ref": ref, "description": description}
    if quantity is not None:
        item["quantity"] = format(quantity.normalize(), "f")
    if unit:
        item["unit"] = unit
    if unit_value is not None:
        item["unit_value"] = f"{unit_value:.2f}"
    if rate is not None:
        item["depreciation_rate"] = format(rate, "f")
    if salvage is not None:
        item["salvage"] = f"{salvage:.2f}"
    item["loss"] = f"{loss:.2f}" if loss is not None else "0.00"
    return item


def to_content(draft: DraftForm) -> dict[str, Any] | None:
    """Validate the editor into draft content; field errors go to ``draft.errors`` (then None)."""
    errors = draft.errors
    sections: list[dict[str, Any]] = []
    refs: dict[str, str] = {}
    used = {r["ref"].strip() for s in draft.sections for r in s.rows if r.get("ref", "").strip()}
    counter = 0
    for sec in draft.sections:
        items: list[dict[str, Any]] = []
        for i, row in enumerate(sec.rows):
            if empty(row):
                continue
            key = f"{sec.code}.{i}"
            ref = row["ref"].strip()
            if not ref:
                ref, counter = _next_ref(used, counter)
                row["ref"] = ref
            if len(ref) > 20:
                errors[f"{key}.ref"] = forms.TOO_LONG
            elif ref in refs:
                errors[f"{key}.ref"] = DUPLICATE_REF
            refs[ref] = key
            items.append(_row_item(row, key, ref, errors))
        replacement = forms.money(sec.replacement_value, errors, f"{sec.code}.replacement_value", required=False)
        if items:
            out: dict[str, Any] = {"code": sec.code, "name": sec.name}
            if replacement is not None:
                out["replacement_value"] = f"{replacement:.2f}"
            out["items"] = items
            sections.append(out)
    if not sections:
        errors["sections"] = NO_ITEMS
    if errors:
        return None
    content: dict[str, Any] = {}
    for key in ("cause", "liability", "conclusion"):
        value = getattr(draft, key).strip()
        if value:
            content[key] = value
    content["sections"] = sections
    return content
