/**
 * One row of a CSV file as numbers. Fields follow RFC 4180 (double quotes, "" inside quotes, CRLF or LF); the
 * delimiter is a comma, or a tab or semicolon when the first line has one and no comma. The first line is a header
 * when any of its fields is not a number. Columns that hold no number in any data row (an id or label column) are
 * left out and named; text in a numeric column is an error naming the line and column. nan, inf and -inf are read.
 */
export interface CsvRow {
  values: number[];
  /** Header names (or "column N") of the values. */
  columns: string[];
  /** Text-only columns left out. */
  dropped: string[];
  /** The 1-based data row read, and its line in the file. */
  row: number;
  line: number;
  rows: number;
}

export class CsvError extends Error {
  override name = 'CsvError';
}

/** Records of fields, each with the 1-based line it starts on. */
export function parseCsv(text: string, delimiter = ','): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (any || field !== '') records.push({ fields: [...fields, field], line: start });
      fields = [];
      field = '';
      any = false;
      line++;
      start = line;
    } else {
      field += ch;
      any = true;
    }
  }
  if (any || field !== '') records.push({ fields: [...fields, field], line: start });
  return records;
}

export function csvNumber(field: string): number | undefined {
  const t = field.trim().toLowerCase();
  if (t === '') return undefined;
  if (t === 'nan') return Number.NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  const v = Number(t);
  return Number.isFinite(v) && /^[+-]?(\d|\.\d)/.test(t) ? v : undefined;
}

/** Reads data row `row` (1 = the first row after any header). */
export function readCsvRow(text: string, row = 1, what = 'CSV'): CsvRow {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes(',') ? ',' : firstLine.includes('\t') ? '\t' : firstLine.includes(';') ? ';' : ',';
  const records = parseCsv(text.replace(/^\uFEFF/, ''), delimiter);
  if (records.length === 0) throw new CsvError(`${what}: the file has no rows`);
  const hasHeader = records[0].fields.some((f) => csvNumber(f) === undefined);
  const header = hasHeader ? records[0].fields.map((f, i) => f.trim() || `column ${i + 1}`) : undefined;
  const data = hasHeader ? records.slice(1) : records;
  if (data.length === 0) throw new CsvError(`${what}: the file has a header but no data rows`);
  if (!Number.isSafeInteger(row) || row < 1 || row > data.length)
    throw new CsvError(`${what}: there is no data row ${row} (the file has ${data.length} data row${data.length === 1 ? '' : 's'})`);
  const record = data[row - 1];
  const width = header?.length ?? record.fields.length;
  if (record.fields.length !== width)
    throw new CsvError(
      `${what} line ${record.line}: ${record.fields.length} fields where the ${header ? 'header has' : 'file has'} ${width}`,
    );
  const name = (c: number) => header?.[c] ?? `column ${c + 1}`;
  const values: number[] = [];
  const columns: string[] = [];
  const dropped: string[] = [];
  for (let c = 0; c < width; c++) {
    const v = csvNumber(record.fields[c]);
    if (v !== undefined) {
      values.push(v);
      columns.push(name(c));
      continue;
    }
    const numericElsewhere = data.some((r) => r.fields[c] !== undefined && csvNumber(r.fields[c]) !== undefined);
    if (numericElsewhere || record.fields[c].trim() === '')
      throw new CsvError(`${what} line ${record.line}, column "${name(c)}": ${JSON.stringify(record.fields[c])} is not a number`);
    dropped.push(name(c));
  }
  if (values.length === 0) throw new CsvError(`${what} line ${record.line}: no numeric columns`);
  return { values, columns, dropped, row, line: record.line, rows: data.length };
}
