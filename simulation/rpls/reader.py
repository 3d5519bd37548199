"""Reading an RPLS file (CSV, or a zip holding one) with pyarrow's streaming CSV reader: only the
needed columns, only the rows of one EPCI are kept, so a department or region file goes through in
seconds and bounded memory. Encoding (UTF-8 or Latin-1/Windows-1252) and separator are sniffed from
the start of the file."""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..fmt import tr
from .tables import COLUMNS, IRIS_PATTERN, RECENT_MARKERS, REQUIRED


class RplsError(Exception):
    """A problem with the RPLS file or the options; str() is one line naming the file and the fix."""


@dataclass
class Extract:
    """The rows of one EPCI, as strings, with logical column names; and what was seen on the way."""

    table: object                     # pyarrow.Table, logical column names
    layout: str
    rows_read: int
    rows_empty_epci: int
    malformed_rows: int
    encoding: str
    columns: dict[str, str] = field(default_factory=dict)   # logical -> column name in the file
    source_name: str = ""             # file name (and zip member) for the territory's record


def _open(path: Path):
    """A binary stream on the CSV (the single .csv member of a zip) and a name for messages."""
    if not path.is_file():
        raise RplsError(f"{path}: " + tr("fichier introuvable ; donnez le chemin du fichier CSV (ou .zip) du RPLS",
                                  "file not found; give the path of the RPLS CSV (or .zip) file"))
    if zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        members = [m for m in zf.infolist() if m.filename.lower().endswith((".csv", ".txt"))
                   and not m.is_dir()]
        if not members:
            raise RplsError(f"{path}: " + tr("le zip ne contient aucun fichier .csv ; décompressez-le et donnez le CSV",
                                      "the zip holds no .csv file; unzip it and give the CSV file"))
        if len(members) > 1:
            names = ", ".join(m.filename for m in members[:5])
            raise RplsError(f"{path}: " + tr(
                f"le zip contient plusieurs fichiers CSV ({names}) ; décompressez-le et donnez celui à importer",
                f"the zip holds several CSV files ({names}); unzip it and give the one to import"))
        return lambda: zf.open(members[0]), f"{path.name}:{members[0].filename}"
    return lambda: open(path, "rb"), path.name


def _sniff(head: bytes, where: str) -> tuple[str, str, list[str]]:
    """(encoding, delimiter, header names) from the first bytes of the file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2000].count(b"\x00") > 10:
        raise RplsError(f"{where}: " + tr(
            "le fichier est en UTF-16 (ou binaire) ; enregistrez-le en CSV UTF-8 ou Latin-1 (comme le RPLS "
            "est publié)",
            "the file is in UTF-16 (or binary); save it as CSV in UTF-8 or Latin-1 (the RPLS files are "
            "published that way)"))
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    cut = head.rfind(b"\n")
    sample = head[:cut] if cut > 0 else head
    try:
        text = sample.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            text = sample.decode("latin-1")
            encoding = "latin-1"
    first = text.splitlines()[0] if text else ""
    if not first.strip():
        raise RplsError(f"{where}: " + tr("le fichier est vide ou n'a pas de ligne d'en-tête",
                                         "the file is empty or has no header line"))
    delim = max(";,\t|", key=first.count)
    if first.count(delim) == 0:
        raise RplsError(f"{where}: " + tr(
            "aucun séparateur de colonnes dans la ligne d'en-tête ; les fichiers RPLS sont des CSV séparés "
            "par ';'",
            "no column separator in the header line; RPLS files are ';'-separated CSV"))
    names = [c.strip().strip('"').strip() for c in first.split(delim)]
    return encoding, delim, names


def resolve_columns(names: list[str], where: str) -> tuple[str, dict[str, str]]:
    """Layout ('old' or 'recent') and logical field -> column name; one-line error if a required
    column is missing."""
    upper = {n.upper(): n for n in names}
    layout = "recent" if any(m in upper for m in RECENT_MARKERS) else "old"
    cols: dict[str, str] = {}
    for key, aliases in COLUMNS.items():
        for a in aliases:
            if a in upper:
                cols[key] = upper[a]
                break
    if "iris" not in cols:
        for u, n in sorted(upper.items(), reverse=True):   # the latest IRIS vintage
            if IRIS_PATTERN.match(u):
                cols["iris"] = n
                break
    missing = [k for k in REQUIRED if k not in cols]
    if "construct" not in cols and "locat" not in cols:
        missing.append("construct")
    if missing:
        want = "; ".join(f"{k}: {tr('une de', 'one of')} {', '.join(COLUMNS[k])}" for k in missing)
        raise RplsError(f"{where}: " + tr(
            f"colonne(s) manquante(s) pour {', '.join(missing)} (format {layout}) ; attendu {want}. "
            "Est-ce bien un fichier RPLS au logement ?",
            f"missing column(s) for {', '.join(missing)} ({layout} layout); expected {want}. Is this an "
            "RPLS dwelling-level file?"))
    return layout, cols


def read_epci(path: str | Path, epci: str) -> Extract:
    """Stream the file and keep the rows of EPCI `epci` (needed columns only)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    path = Path(path)
    opener, where = _open(path)
    with opener() as f:
        head = f.read(1 << 18)
    encoding, delim, names = _sniff(head, where)
    layout, cols = resolve_columns(names, where)
    wanted = list(dict.fromkeys(cols.values()))
    code = str(epci).strip()

    def attempt(enc: str) -> Extract:
        malformed = [0]

        def skip(_row):
            malformed[0] += 1
            return "skip"

        src = str(path) if not zipfile.is_zipfile(path) else opener()
        reader = pacsv.open_csv(
            src,
            read_options=pacsv.ReadOptions(encoding=enc, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        kept, seen = [], Counter()
        rows = empty = 0
        epci_col = cols["epci"]
        for batch in reader:
            rows += batch.num_rows
            e = pc.utf8_trim_whitespace(batch.column(epci_col))
            empty += int(pc.sum(pc.equal(e, "")).as_py() or 0)
            mask = pc.equal(e, code)
            n = int(pc.sum(mask).as_py() or 0)
            if n:
                kept.append(pa.Table.from_batches([batch]).filter(mask))
            elif len(seen) < 5000:
                vc = pc.value_counts(e)
                for v, c in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()):
                    seen[v] += c
        if rows == 0:
            raise RplsError(f"{where}: " + tr("le fichier a un en-tête mais aucune ligne de données",
                                             "the file has a header but no data rows"))
        if empty == rows:
            raise RplsError(f"{where}: " + tr(
                f"la colonne EPCI '{epci_col}' est vide sur toutes les lignes ; cet extrait ne peut pas être "
                "découpé par EPCI (remplissez la colonne ou prenez un extrait qui l'a)",
                f"the EPCI column '{epci_col}' is empty on every row; this extract cannot be split by EPCI "
                "(fill the column or use an extract that has it)"))
        if not kept:
            top = ", ".join(f"{v} ({c} rows)" for v, c in seen.most_common(6) if v)
            raise RplsError(f"{where}: " + tr(
                f"aucun logement avec le code EPCI '{code}' dans la colonne '{epci_col}' ; codes présents : "
                f"{top} ; donnez à --epci le SIREN à 9 chiffres de l'EPCI",
                f"no dwelling with EPCI code '{code}' in column '{epci_col}'; codes found: {top}; give "
                "--epci with the EPCI's 9-digit SIREN code"))
        table = pa.concat_tables(kept)
        inverse = {v: k for k, v in cols.items()}
        table = table.rename_columns([inverse.get(c, c) for c in table.column_names])
        return Extract(table, layout, rows, empty, malformed[0], enc, cols, where)

    try:
        return attempt(encoding)
    except pa.ArrowInvalid as e:
        msg = str(e).splitlines()[0]
        if "utf8" in msg.lower() or "utf-8" in msg.lower() or "decode" in msg.lower():
            try:
                return attempt("latin-1")        # UTF-8 at the start, Latin-1 further on
            except pa.ArrowInvalid as e2:
                msg = str(e2).splitlines()[0]
        raise RplsError(f"{where}: " + tr(
            f"fichier CSV illisible ({msg}) ; vérifiez que c'est le CSV du RPLS, séparé par ';', en UTF-8 "
            "ou Latin-1",
            f"not a readable CSV file ({msg}); check it is the RPLS CSV, ';'-separated, in UTF-8 or "
            "Latin-1")) from None
    except UnicodeDecodeError:
        raise RplsError(f"{where}: " + tr("texte ni UTF-8 ni Latin-1 ; enregistrez le fichier en UTF-8",
                                         "text that is neither UTF-8 nor Latin-1; save the file as UTF-8")) from None
    except (zipfile.BadZipFile, OSError) as e:
        raise RplsError(f"{where}: " + tr(f"impossible de lire le fichier ({e})", f"cannot read the file ({e})")) from None

