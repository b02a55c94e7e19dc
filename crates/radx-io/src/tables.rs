//! CSV tables, read and written through the `csv` crate (RFC 4180 quoting):
//!
//! * the radx **long table** (one row per value, columns [`CSV_HEADER`]): written by
//!   [`table_to_csv`], read back strictly by [`read_long_table`];
//! * any other CSV table, read strictly by [`read_csv`] (header, then rows of the header's
//!   length, each with the line it starts on);
//! * report tables, written through [`CsvText`].
//!
//! # What the readers refuse
//!
//! Every error names the file and, where there is one, the line:
//! * a row with fewer or more fields than the header (a short row is what a cut file
//!   leaves behind);
//! * a file that ends inside a quoted field (an odd number of `"`: RFC 4180 quoting always
//!   uses them in pairs);
//! * bytes that are not UTF-8, a header naming a column twice, an empty file;
//! * with [`CsvOptions::require_final_newline`] (radx's own tables, whose writer ends every
//!   row with a newline): a file whose last line has no newline — it was cut, possibly in
//!   the middle of a number (`7.91` of `7.9132`), which no field count can reveal;
//! * in a long table, additionally: a value that is not a finite number, and two rows for
//!   the same (case, roi, image, tag), naming both lines.
//!
//! Blank lines are skipped. A UTF-8 byte order mark is ignored.

use std::collections::HashMap;
use std::path::Path;

use radx_core::{FeatureRow, FeatureTable};

use crate::{invalid, IoError};

/// The CSV header of the long table.
pub const CSV_HEADER: &str =
    "case,roi,image,family,feature,ibsi_id,aggregation,tag,unit,value,missing_reason";

/// CSV text built through the `csv` crate: fields are quoted only where they need it (a
/// comma, a double quote, a CR or LF), quotes inside doubled, every row ends with `\n`.
pub struct CsvText {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvText {
    /// A table starting with this header row. Every later row must have as many fields.
    pub fn with_header<I, T>(header: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut t = CsvText {
            writer: csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Necessary)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new()),
        };
        t.row(header);
        t
    }

    /// Appends one row.
    ///
    /// # Panics
    /// When the row's length differs from the header's: the callers build rows of a fixed
    /// shape, so this is a programming error, never a property of the input.
    pub fn row<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .expect("CSV rows have the header's number of fields (writing to memory)");
    }

    /// The text.
    pub fn into_string(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("flushing CSV to memory does not fail");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }
}

/// A number for CSV: the shortest text that reads back to the same `f64` (so tables are
/// bit-exact); empty when undefined.
pub fn csv_number(v: Option<f64>) -> String {
    v.map(|x| format!("{x:?}")).unwrap_or_default()
}

/// Long CSV: one row per value. Numbers are written in the shortest form that reads
/// back to the same f64, so the text is bit-exact. Text fields are quoted only when they
/// hold a comma, a quote or a line break.
pub fn table_to_csv(table: &FeatureTable) -> String {
    rows_to_csv(&table.rows)
}

/// As [`table_to_csv`], from rows.
pub fn rows_to_csv(rows: &[FeatureRow]) -> String {
    let mut t = CsvText::with_header(CSV_HEADER.split(','));
    for r in rows {
        t.row([
            r.case.as_str(),
            &r.roi,
            &r.image,
            &r.family,
            &r.feature,
            &r.ibsi_id,
            &r.aggregation,
            &r.tag,
            &r.unit,
            &csv_number(r.value),
            r.missing_reason.as_deref().unwrap_or(""),
        ]);
    }
    t.into_string()
}

/// How [`read_csv`] reads a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field delimiter (`b','`; the IBSI reference tables use `b';'`).
    pub delimiter: u8,
    /// A last line without a newline is a truncated file (true for tables radx wrote).
    pub require_final_newline: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            require_final_newline: false,
        }
    }
}

/// One data row of a [`CsvTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// Line (1-based) the row starts on.
    pub line: u64,
    /// As many fields as the header, untrimmed.
    pub fields: Vec<String>,
}

/// A CSV table read by [`read_csv`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvTable {
    /// Column names, trimmed.
    pub header: Vec<String>,
    pub rows: Vec<CsvRow>,
}

impl CsvTable {
    /// Index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Reads a CSV table strictly (see the module documentation).
pub fn read_csv(path: &Path, options: CsvOptions) -> Result<CsvTable, IoError> {
    let bytes = std::fs::read(path).map_err(|e| crate::open_error(path, e))?;
    parse_csv(&bytes, path, options)
}

/// As [`read_csv`], from the file's bytes (`path` names it in errors).
pub fn parse_csv(bytes: &[u8], path: &Path, options: CsvOptions) -> Result<CsvTable, IoError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(path, "empty file"));
    }
    let lines = 1 + bytes.iter().filter(|&&b| b == b'\n').count() as u64
        - u64::from(bytes.ends_with(b"\n"));
    let cut = !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r");
    if options.require_final_newline && cut {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "line {lines}: the last line has no newline: the file was cut short \
                 (radx ends every row of its tables with a newline)"
            ),
        });
    }
    // RFC 4180 quotes come in pairs (open and close, or doubled inside): an odd count means
    // a quoted field runs to the end of the file, swallowing the rows after it.
    let unclosed_quote = bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1;
    let unclosed = |line: u64| IoError::Truncated {
        path: path.into(),
        message: format!(
            "line {line}: a quoted field is not closed before the end of the file \
             (an odd number of `\"`)"
        ),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let (mut line, mut counted) = (1u64, 0usize);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(invalid(path, e.to_string())),
        }
        // The line the record starts on, counted from its byte offset (the reader's own
        // count lags behind a record's terminator): skip the line breaks before it.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        line += bytes[counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted = start;
        if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line
        }
        let mut fields = Vec::with_capacity(record.len());
        for (i, f) in record.iter().enumerate() {
            let s = std::str::from_utf8(f).map_err(|_| {
                invalid(
                    path,
                    format!("line {line}: field {} is not valid UTF-8 text", i + 1),
                )
            })?;
            fields.push(s.to_string());
        }
        match &header {
            None => {
                let names: Vec<String> = fields.iter().map(|h| h.trim().to_string()).collect();
                for (i, n) in names.iter().enumerate() {
                    if let Some(j) = names[..i].iter().position(|m| m == n) {
                        return Err(invalid(
                            path,
                            format!(
                                "line {line}: the header names column `{n}` twice (columns {} and {})",
                                j + 1,
                                i + 1
                            ),
                        ));
                    }
                }
                header = Some(names);
            }
            Some(h) => {
                if fields.len() != h.len() {
                    if unclosed_quote {
                        return Err(unclosed(line));
                    }
                    let last = reader.position().byte() as usize >= bytes.len();
                    let hint = if last && cut && fields.len() < h.len() {
                        ": the last line is cut short (truncated file?)"
                    } else {
                        ""
                    };
                    return Err(invalid(
                        path,
                        format!(
                            "line {line}: {} fields, the header has {}{hint}",
                            fields.len(),
                            h.len()
                        ),
                    ));
                }
                rows.push(CsvRow { line, fields });
            }
        }
    }
    if unclosed_quote {
        return Err(unclosed(rows.last().map_or(1, |r| r.line)));
    }
    Ok(CsvTable {
        header: header.unwrap_or_default(),
        rows,
    })
}

/// A radx long table read back: its rows, and the line each row starts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LongTable {
    pub rows: Vec<FeatureRow>,
    /// `lines[i]`: the line (1-based) of `rows[i]`.
    pub lines: Vec<u64>,
}

/// Reads a radx long table strictly: a CSV with at least the columns case, roi, image,
/// tag and value (the other columns of [`CSV_HEADER`] are read when present), ending with
/// a newline. Besides the checks of [`read_csv`]: a value must be empty (missing) or a
/// finite number, and no (case, roi, image, tag) may appear twice.
pub fn read_long_table(path: &Path) -> Result<LongTable, IoError> {
    let bytes = std::fs::read(path).map_err(|e| crate::open_error(path, e))?;
    parse_long_table(&bytes, path)
}

/// As [`read_long_table`], from the file's bytes (`path` names it in errors).
pub fn parse_long_table(bytes: &[u8], path: &Path) -> Result<LongTable, IoError> {
    let table = parse_csv(
        bytes,
        path,
        CsvOptions {
            require_final_newline: true,
            ..Default::default()
        },
    )?;
    let need = |name: &str| {
        table.column(name).ok_or_else(|| {
            invalid(
                path,
                format!("no `{name}` column: not a radx long table (expected {CSV_HEADER})"),
            )
        })
    };
    let (ci, ri, ii, ti, vi) = (
        need("case")?,
        need("roi")?,
        need("image")?,
        need("tag")?,
        need("value")?,
    );
    let [fa, fe, id, ag, un, mr] = [
        "family",
        "feature",
        "ibsi_id",
        "aggregation",
        "unit",
        "missing_reason",
    ]
    .map(|n| table.column(n));
    let mut out = LongTable {
        rows: Vec::with_capacity(table.rows.len()),
        lines: Vec::with_capacity(table.rows.len()),
    };
    for row in table.rows {
        let line = row.line;
        let mut f = row.fields;
        let mut take = |i: Option<usize>| i.map(|i| std::mem::take(&mut f[i])).unwrap_or_default();
        let raw = take(Some(vi));
        let v = raw.trim();
        let value = if v.is_empty() {
            None
        } else {
            let x = v
                .parse::<f64>()
                .map_err(|_| invalid(path, format!("line {line}: value `{v}` is not a number")))?;
            if !x.is_finite() {
                return Err(invalid(
                    path,
                    format!(
                        "line {line}: value `{v}` is not finite (write undefined values empty, with a missing_reason)"
                    ),
                ));
            }
            Some(x)
        };
        let reason = take(mr);
        out.rows.push(FeatureRow {
            case: take(Some(ci)),
            roi: take(Some(ri)),
            image: take(Some(ii)),
            family: take(fa),
            feature: take(fe),
            ibsi_id: take(id),
            aggregation: take(ag),
            tag: take(Some(ti)),
            unit: take(un),
            value,
            missing_reason: (!reason.is_empty()).then_some(reason),
        });
        out.lines.push(line);
    }
    if let Some((a, b)) = first_duplicate(out.rows.iter().map(|r| {
        (
            r.case.as_str(),
            r.roi.as_str(),
            r.image.as_str(),
            r.tag.as_str(),
        )
    })) {
        let r = &out.rows[b];
        return Err(invalid(
            path,
            format!(
                "lines {} and {} both hold case `{}` roi `{}` image `{}` tag `{}`",
                out.lines[a], out.lines[b], r.case, r.roi, r.image, r.tag
            ),
        ));
    }
    Ok(out)
}

/// The first pair of positions `(earlier, later)` holding the same key, if any.
pub fn first_duplicate<K: std::hash::Hash + Eq>(
    keys: impl IntoIterator<Item = K>,
) -> Option<(usize, usize)> {
    let keys = keys.into_iter();
    let mut seen: HashMap<K, usize> = HashMap::with_capacity(keys.size_hint().0);
    for (i, k) in keys.enumerate() {
        if let Some(&j) = seen.get(&k) {
            return Some((j, i));
        }
        seen.insert(k, i);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, tag: &str, value: Option<f64>) -> FeatureRow {
        FeatureRow {
            case: case.into(),
            roi: "r".into(),
            image: "original".into(),
            family: "f".into(),
            feature: "x".into(),
            ibsi_id: String::new(),
            aggregation: String::new(),
            tag: tag.into(),
            unit: String::new(),
            value,
            missing_reason: None,
        }
    }

    fn parse(text: &str) -> Result<LongTable, IoError> {
        parse_long_table(text.as_bytes(), Path::new("t.csv"))
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn ordinary_rows_are_written_unquoted() {
        let t = table_to_csv(&FeatureTable {
            rows: vec![
                row("c1", "stat_mean", Some(0.1)),
                row("c2", "stat_var", None),
            ],
        });
        assert_eq!(
            t,
            format!(
                "{CSV_HEADER}\nc1,r,original,f,x,,,stat_mean,,0.1,\nc2,r,original,f,x,,,stat_var,,,\n"
            )
        );
    }

    #[test]
    fn quoted_newline_comma_and_quote_round_trip() {
        let mut r = row("a,\"b\"\nc", "t\r\nx", Some(-1.5e-300));
        r.missing_reason = None;
        r.unit = "mm\"".into();
        let mut m = row("plain", "t", None);
        m.missing_reason = Some("no value, \"really\"\n(second line)".into());
        let table = FeatureTable { rows: vec![r, m] };
        let text = table_to_csv(&table);
        assert!(text.contains("\"a,\"\"b\"\"\nc\""), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(back.rows, table.rows);
        // The first row spans lines 2 to 4 (two line breaks inside quotes).
        assert_eq!(back.lines, vec![2, 5]);
    }

    #[test]
    fn short_long_and_truncated_rows_are_errors_naming_the_line() {
        let ok = format!("{CSV_HEADER}\nc1,r,original,f,x,,,t,,7.9132,\n");
        assert_eq!(parse(&ok).unwrap().rows[0].value, Some(7.9132));
        // A value cut mid-number at the end of the file: no final newline.
        let cut = format!("{CSV_HEADER}\nc1,r,original,f,x,,,t,,7.91");
        let e = err(&cut);
        assert!(e.contains("line 2") && e.contains("cut short"), "{e}");
        // A short row in the middle.
        let e = err(&format!(
            "{CSV_HEADER}\nc1,r,original,f,x,,,t,,7.9,\nc2,r,original\n"
        ));
        assert!(
            e.contains("t.csv") && e.contains("line 3: 3 fields, the header has 11"),
            "{e}"
        );
        // A long row.
        let e = err(&format!(
            "{CSV_HEADER}\nc1,r,original,f,x,,,t,,7.9,,extra\n"
        ));
        assert!(e.contains("line 2: 12 fields"), "{e}");
        // Not a number; not finite.
        let e = err(&format!("{CSV_HEADER}\nc1,r,original,f,x,,,t,,7.9x,\n"));
        assert!(e.contains("line 2: value `7.9x` is not a number"), "{e}");
        let e = err(&format!("{CSV_HEADER}\nc1,r,original,f,x,,,t,,NaN,\n"));
        assert!(e.contains("not finite"), "{e}");
        // An unclosed quote.
        let e = err(&format!(
            "{CSV_HEADER}\nc1,r,original,f,x,,,t,,,\"open\nc2\n"
        ));
        assert!(e.contains("not closed"), "{e}");
        // Not UTF-8.
        let mut bad = format!("{CSV_HEADER}\nc1,r,original,f,x,,,t,,1.0,").into_bytes();
        bad.extend_from_slice(b"\xff\n");
        let e = parse_long_table(&bad, Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: field 11 is not valid UTF-8"), "{e}");
        // Missing columns; empty file.
        assert!(err("case,roi,image,tag\nc,r,i,t\n").contains("no `value` column"));
        assert!(err("").contains("empty file"));
        assert!(err("case,case,roi,image,tag,value\n").contains("column `case` twice"));
    }

    #[test]
    fn duplicate_rows_name_both_lines() {
        let e = err(&format!(
            "{CSV_HEADER}\nc1,r,original,f,x,,,t,,1.0,\nc1,r,original,f,x,,,u,,1.0,\nc1,r,original,f,x,,,t,,2.0,\n"
        ));
        assert!(
            e.contains("lines 2 and 4") && e.contains("case `c1`") && e.contains("tag `t`"),
            "{e}"
        );
    }

    #[test]
    fn subsets_of_columns_blank_lines_crlf_and_bom_are_read() {
        let t = "\u{feff}case,roi,image,tag,value\r\nc,r,i,t,1.5\r\n\r\nd,r,i,t,\r\n";
        let r = parse(t).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].value, Some(1.5));
        assert_eq!(r.rows[1].value, None);
        assert_eq!(r.lines, vec![2, 4]);
    }

    #[test]
    fn other_tables_may_end_without_a_newline_but_not_short() {
        let p = Path::new("s.csv");
        let t = parse_csv(b"case,site\na,1\nb,2", p, CsvOptions::default()).unwrap();
        assert_eq!(t.rows[1].fields, ["b", "2"]);
        let e = parse_csv(b"case,site\na,1\nb", p, CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3: 1 fields, the header has 2: the last line is cut short"),
            "{e}"
        );
        let semi = CsvOptions {
            delimiter: b';',
            ..Default::default()
        };
        let t = parse_csv(b"a;b\n1,5;2\n", p, semi).unwrap();
        assert_eq!(t.rows[0].fields, ["1,5", "2"]);
    }

    #[test]
    fn report_tables_quote_only_where_needed() {
        let mut t = CsvText::with_header(["a", "b,c"]);
        t.row(["x\"y", ""]);
        t.row(["1.5", "line\nbreak"]);
        assert_eq!(
            t.into_string(),
            "a,\"b,c\"\n\"x\"\"y\",\n1.5,\"line\nbreak\"\n"
        );
        assert_eq!(first_duplicate([1, 2, 3, 2, 1]), Some((1, 3)));
        assert_eq!(first_duplicate([1, 2, 3]), None);
    }
}
