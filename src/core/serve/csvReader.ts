/**
 * A CSV reader for reference data: the first record is the header; numeric columns are kept.
 * RFC 4180 quoting ("a,b", doubled quotes), CRLF or LF line ends, a UTF-8 BOM, blank trailing lines.
 * A column is numeric when every non-empty cell parses as a number (also "NaN", "inf", "-inf"); empty cells become NaN.
 */

export interface CsvTable {
  columns: string[];
  /** Header names of columns left out because they hold non-numeric cells. */
  skipped: string[];
  rows: number;
  /** Row-major values: rows x columns.length. */
  data: Float64Array;
}

/** Splits CSV text into records of fields. */
export function parseCsvRecords(text: string, delimiter = ','): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === delimiter) endField();
    else if (c === '\n') endRecord();
    else if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      endRecord();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new Error('unterminated quoted field in CSV');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

function numberOf(cell: string): number | undefined {
  const s = cell.trim();
  if (s === '') return NaN;
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

export function readCsv(text: string, delimiter = ','): CsvTable {
  const records = parseCsvRecords(text, delimiter);
  if (records.length === 0) throw new Error('empty CSV');
  const header = records[0].map((h) => h.trim());
  const body = records.slice(1);
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new Error(`CSV record ${i + 2} has ${r.length} fields, the header has ${header.length}`);
  });
  const keep: number[] = [];
  const skipped: string[] = [];
  header.forEach((name, c) => {
    if (body.every((r) => numberOf(r[c]) !== undefined)) keep.push(c);
    else skipped.push(name);
  });
  const data = new Float64Array(body.length * keep.length);
  body.forEach((r, i) => keep.forEach((c, j) => (data[i * keep.length + j] = numberOf(r[c])!)));
  return { columns: keep.map((c) => header[c]), skipped, rows: body.length, data };
}
