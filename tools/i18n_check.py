"""Merge i18n/trade_crm_tiering.pot into i18n/zh_CN.po and list the terms still untranslated.

python tools/i18n_check.py            list untranslated terms, exit 1 if any
python tools/i18n_check.py --merge    merge the template first
"""

import argparse
import sys
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "i18n"
POT = I18N / "trade_crm_tiering.pot"
PO = I18N / "zh_CN.po"


def merge():
    template = polib.pofile(str(POT))
    if PO.exists():
        po = polib.pofile(str(PO))
        po.merge(template)
        po[:] = [entry for entry in po if not entry.obsolete]
    else:
        po = polib.POFile()
        po.extend(template)
    po.metadata = dict(template.metadata)
    po.metadata.update({"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"})
    for entry in po:
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"] if entry.msgstr else entry.flags
    po.save(str(PO))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--merge", action="store_true")
    args = parser.parse_args()
    if args.merge:
        merge()
    po = polib.pofile(str(PO))
    missing = [entry for entry in po if not entry.msgstr or "fuzzy" in entry.flags]
    for entry in missing:
        print(repr(entry.msgid))
    print(f"{len(po) - len(missing)} of {len(po)} terms translated", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
