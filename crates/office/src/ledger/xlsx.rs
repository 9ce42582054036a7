//! A single-pass reader of the cells of an xlsx workbook.
//!
//! A 100,000-row ledger is some 100 MB of sheet XML. A general XML reader walks each
//! cell's attributes three times and allocates for every value; this one scans the bytes
//! once, looks only at what a ledger needs (row and cell positions, the `t` and `s`
//! attributes, `<v>` and inline strings) and allocates only for text. Anything it does
//! not know how to read exactly as calamine would (CDATA, unknown entities, the 1904
//! date system, a part it cannot find) makes it step aside: [`read`] returns
//! [`Outcome::Fallback`] and the caller reads the workbook with calamine instead. Tests
//! compare both readers cell for cell. A sheet's rows are read as its XML is inflated and
//! handed over one by one ([`read_each`], `rows.rs`), so an import can start writing
//! before the rest of the sheet is read.

use super::sheets::{Cell, Sheet, text_cell};
use rows::{CellStop, STEP, SheetRows, stream};
use std::io::Read;

mod rows;

/// What the fast reader made of a workbook.
pub(super) enum Outcome {
    /// Every sheet, read.
    Sheets(Vec<Sheet>),
    /// A sheet that cannot be read: (sheet name, reason).
    Bad(String, String),
    /// Something this reader does not handle; read it with calamine.
    Fallback,
}

/// Largest uncompressed part read (a bomb guard; a 100,000-row sheet is about 100 MB).
const MAX_PART: u64 = 1 << 30;

type Zip<'a> = zip::ZipArchive<std::io::Cursor<&'a [u8]>>;

/// Reads every worksheet of the workbook in `bytes`.
pub(super) fn read(bytes: &[u8]) -> Outcome {
    let mut grid = Grid(Vec::new());
    match read_each(bytes, &mut grid) {
        Ok(()) => Outcome::Sheets(grid.0),
        Err(Stop::Fallback) => Outcome::Fallback,
        Err(Stop::Bad(sheet, why)) => Outcome::Bad(sheet, why),
    }
}

/// What the reader hands a workbook's rows to, as they are read.
pub(super) trait Rows {
    /// A worksheet begins; `false` when its rows are not wanted (they are not read).
    fn sheet(&mut self, name: &str) -> bool;
    /// A row of the current sheet: its zero-based index (rows come in order) and its
    /// cells, up to the last that is not empty. Rows with no cell are not handed over.
    fn row(&mut self, index: usize, cells: &[Cell]);
}

/// Every sheet's rows kept as a grid.
struct Grid(Vec<Sheet>);

impl Rows for Grid {
    fn sheet(&mut self, name: &str) -> bool {
        self.0.push(Sheet {
            name: name.to_string(),
            rows: Vec::new(),
            first_row: 1,
        });
        true
    }

    fn row(&mut self, index: usize, cells: &[Cell]) {
        let rows = &mut self.0.last_mut().expect("a sheet began").rows;
        rows.resize_with(index, Vec::new);
        rows.push(cells.to_vec());
    }
}

/// Why the reader stopped.
pub(super) enum Stop {
    /// Something it does not handle: read the workbook with calamine.
    Fallback,
    /// A sheet that cannot be read: (sheet name, reason).
    Bad(String, String),
}

fn fallback<T>(_: T) -> Stop {
    Stop::Fallback
}

/// Reads every worksheet of the workbook in `bytes`, handing each row to `sink` as soon
/// as it is read. On [`Stop::Fallback`] the rows already handed over may be incomplete:
/// the caller discards them and reads the workbook with calamine.
pub(super) fn read_each(bytes: &[u8], sink: &mut dyn Rows) -> Result<(), Stop> {
    let mut zip: Zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(fallback)?;
    let rels = part(&mut zip, "xl/_rels/workbook.xml.rels")?.ok_or(Stop::Fallback)?;
    let mut targets: Vec<(String, String)> = Vec::new();
    let mut at = 0;
    while let Some(tag) = next_tag(&rels, &mut at)? {
        if !tag.closing && tag.name == b"Relationship" {
            let id = tag.attr(b"Id")?;
            let target = tag.attr(b"Target")?;
            if let (Some(id), Some(target)) = (id, target) {
                targets.push((id, target));
            }
        }
    }
    let workbook = part(&mut zip, "xl/workbook.xml")?.ok_or(Stop::Fallback)?;
    let mut sheets: Vec<(String, String)> = Vec::new();
    let mut at = 0;
    while let Some(tag) = next_tag(&workbook, &mut at)? {
        if tag.closing {
            continue;
        }
        match tag.name {
            b"sheet" => {
                let name = tag.attr(b"name")?.ok_or(Stop::Fallback)?;
                let rid = tag.prefixed_attr(b"id")?.ok_or(Stop::Fallback)?;
                let target = targets
                    .iter()
                    .find(|(id, _)| *id == rid)
                    .map(|(_, t)| t.as_str())
                    .ok_or(Stop::Fallback)?;
                let path = if let Some(t) = target.strip_prefix('/') {
                    t.to_string()
                } else if target.starts_with("xl/") {
                    target.to_string()
                } else {
                    format!("xl/{target}")
                };
                // Chart and dialog sheets hold no cells.
                if path.split('/').nth(1) == Some("worksheets") {
                    sheets.push((name, path));
                }
            }
            b"workbookPr" => {
                if matches!(tag.attr(b"date1904")?.as_deref(), Some("1" | "true")) {
                    return Err(Stop::Fallback);
                }
            }
            _ => {}
        }
    }
    let dates = match part(&mut zip, "xl/styles.xml")? {
        Some(xml) => date_styles(&xml)?,
        None => Vec::new(),
    };
    let strings = match part(&mut zip, "xl/sharedStrings.xml")? {
        Some(xml) => shared_strings(&xml)?,
        None => Vec::new(),
    };
    for (name, path) in sheets {
        if !sink.sheet(&name) {
            continue;
        }
        let stop = |e| match e {
            CellStop::Fallback => Stop::Fallback,
            CellStop::Bad(why) => Stop::Bad(name.clone(), why),
        };
        let part = part_name(&zip, &path).ok_or(Stop::Fallback)?;
        let file = zip.by_name(&part).map_err(fallback)?;
        let mut rows = SheetRows::new(&strings, &dates);
        stream(file, STEP, |xml, eof| rows.feed(xml, eof, sink)).map_err(stop)?;
    }
    Ok(())
}

/// The uncompressed bytes of the part at `path` (matched as calamine does: letter case
/// and `\` separators ignored), or `None` when the workbook has no such part.
fn part(zip: &mut Zip, path: &str) -> Result<Option<Vec<u8>>, Stop> {
    let Some(name) = part_name(zip, path) else {
        return Ok(None);
    };
    let file = zip.by_name(&name).map_err(fallback)?;
    let mut buf = Vec::with_capacity(file.size().min(MAX_PART) as usize);
    file.take(MAX_PART + 1)
        .read_to_end(&mut buf)
        .map_err(fallback)?;
    if buf.len() as u64 > MAX_PART {
        return Err(Stop::Bad(
            path.to_string(),
            format!(
                "解压后超过 {0} MB / larger than {0} MB uncompressed",
                MAX_PART >> 20
            ),
        ));
    }
    Ok(Some(buf))
}

/// The name in the archive of the part at `path`.
fn part_name(zip: &Zip, path: &str) -> Option<String> {
    zip.file_names()
        .find(|n| n.replace('\\', "/").eq_ignore_ascii_case(path))
        .map(str::to_string)
}

/// One tag: whether it ends an element (`</x>`) or is empty (`<x/>`), its local name and
/// its attribute bytes. A declaration (`<?xml …?>`) is a tag named `?xml`.
struct Tag<'a> {
    closing: bool,
    empty: bool,
    name: &'a [u8],
    attrs: &'a [u8],
}

impl Tag<'_> {
    /// The value of attribute `key` (unprefixed), unescaped.
    fn attr(&self, key: &[u8]) -> Result<Option<String>, Stop> {
        match attr_raw(self.attrs, key, false) {
            Some(v) => unescape(v).map(Some).ok_or(Stop::Fallback),
            None => Ok(None),
        }
    }

    /// The value of a prefixed attribute whose local name is `key` (`r:id`).
    fn prefixed_attr(&self, key: &[u8]) -> Result<Option<String>, Stop> {
        match attr_raw(self.attrs, key, true) {
            Some(v) => unescape(v).map(Some).ok_or(Stop::Fallback),
            None => Ok(None),
        }
    }
}

/// Something this reader does not handle (CDATA, a tag that never ends): fall back.
struct Unhandled;

/// The next tag at or after `*at`, leaving `*at` just past it; comments are skipped.
/// `Ok(None)` at the end of `xml`.
fn next_tag<'a>(xml: &'a [u8], at: &mut usize) -> Result<Option<Tag<'a>>, Unhandled> {
    loop {
        let Some(lt) = memchr::memchr(b'<', &xml[*at..]).map(|i| *at + i) else {
            return Ok(None);
        };
        let rest = &xml[lt + 1..];
        if rest.starts_with(b"![CDATA[") {
            return Err(Unhandled);
        }
        if rest.starts_with(b"!--") {
            *at = lt + 1 + memchr::memmem::find(rest, b"-->").ok_or(Unhandled)? + 3;
            continue;
        }
        let gt = lt + 1 + memchr::memchr(b'>', rest).ok_or(Unhandled)?;
        *at = gt + 1;
        let inner = &xml[lt + 1..gt];
        let (closing, body) = match inner.strip_prefix(b"/") {
            Some(b) => (true, b),
            None => (false, inner),
        };
        let (empty, body) = match body.strip_suffix(b"/") {
            Some(b) => (true, b),
            None => (false, body),
        };
        let end = body
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(body.len());
        return Ok(Some(Tag {
            closing,
            empty,
            name: local(&body[..end]),
            attrs: &body[end..],
        }));
    }
}

/// The text from `*at` up to the next tag (text never holds a `<`); `*at` is left there.
fn text_at<'a>(xml: &'a [u8], at: &mut usize) -> Result<&'a [u8], Unhandled> {
    let start = *at;
    *at += memchr::memchr(b'<', &xml[start..]).ok_or(Unhandled)?;
    Ok(&xml[start..*at])
}

impl From<Unhandled> for Stop {
    fn from(_: Unhandled) -> Stop {
        Stop::Fallback
    }
}

/// `x:c` → `c`.
fn local(name: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', name) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The raw value of attribute `key` in `attrs` (`key="v"` or `key='v'`). With
/// `prefixed`, only a prefixed key whose local name is `key` matches.
fn attr_raw<'a>(attrs: &'a [u8], key: &[u8], prefixed: bool) -> Option<&'a [u8]> {
    let mut i = 0;
    while i < attrs.len() {
        while i < attrs.len() && attrs[i].is_ascii_whitespace() {
            i += 1;
        }
        let eq = i + memchr::memchr(b'=', &attrs[i..])?;
        let name = attrs[i..eq].trim_ascii_end();
        let mut q = eq + 1;
        while q < attrs.len() && attrs[q].is_ascii_whitespace() {
            q += 1;
        }
        let quote = *attrs.get(q)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = q + 1 + memchr::memchr(quote, &attrs[q + 1..])?;
        let matched = if prefixed {
            name.len() > key.len() + 1
                && name.ends_with(key)
                && name[name.len() - key.len() - 1] == b':'
        } else {
            name == key
        };
        if matched {
            return Some(&attrs[q + 1..close]);
        }
        i = close + 1;
    }
    None
}

/// XML text with its five named entities and character references resolved; `None`
/// for anything else (the caller falls back).
fn unescape(raw: &[u8]) -> Option<String> {
    let Some(first) = memchr::memchr(b'&', raw) else {
        return String::from_utf8(raw.to_vec()).ok();
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..first]);
    let mut i = first;
    while i < raw.len() {
        if raw[i] != b'&' {
            let next = memchr::memchr(b'&', &raw[i..]).map_or(raw.len(), |n| i + n);
            out.extend_from_slice(&raw[i..next]);
            i = next;
            continue;
        }
        let semi = i + memchr::memchr(b';', &raw[i..])?;
        let ent = &raw[i + 1..semi];
        match ent {
            b"lt" => out.push(b'<'),
            b"gt" => out.push(b'>'),
            b"amp" => out.push(b'&'),
            b"quot" => out.push(b'"'),
            b"apos" => out.push(b'\''),
            _ => {
                let num = ent.strip_prefix(b"#")?;
                let code = match num.strip_prefix(b"x").or_else(|| num.strip_prefix(b"X")) {
                    Some(hex) => u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?,
                    None => std::str::from_utf8(num).ok()?.parse().ok()?,
                };
                let ch = char::from_u32(code)?;
                let mut b = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
        }
        i = semi + 1;
    }
    String::from_utf8(out).ok()
}

/// For each cell style (`cellXfs` order): does its number format show a date or time?
fn date_styles(xml: &[u8]) -> Result<Vec<bool>, Stop> {
    let mut custom: Vec<(String, bool)> = Vec::new();
    let mut out = Vec::new();
    // `xf` also occurs in cellStyleXfs and dxfs: only those under cellXfs count.
    let mut in_cell_xfs = false;
    let mut at = 0;
    while let Some(tag) = next_tag(xml, &mut at)? {
        match (tag.name, tag.closing) {
            (b"cellXfs", false) => in_cell_xfs = !tag.empty,
            (b"cellXfs", true) => in_cell_xfs = false,
            (b"numFmt", false) => {
                if let (Some(id), Some(code)) = (tag.attr(b"numFmtId")?, tag.attr(b"formatCode")?)
                    && !code.is_empty()
                {
                    custom.push((id, is_date_format(&code)));
                }
            }
            (b"xf", false) if in_cell_xfs => {
                let date = match tag.attr(b"numFmtId")? {
                    Some(id) => match custom.iter().find(|(c, _)| *c == id) {
                        Some((_, d)) => *d,
                        None => matches!(id.parse::<u32>(), Ok(14..=22 | 45..=47)),
                    },
                    None => false,
                };
                out.push(date);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Whether a custom number format shows a date or time: a `d m y h s` outside quotes,
/// escapes and brackets in its first section, or an elapsed-time bracket (`[h]`, `[mm]`).
pub(super) fn is_date_format(code: &str) -> bool {
    let mut chars = code.chars();
    let mut after_a = false;
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '_' => {
                chars.next();
            }
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            ';' => return false,
            '[' => {
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if !inner.is_empty()
                    && inner
                        .chars()
                        .all(|c| matches!(c, 'h' | 'm' | 's' | 'H' | 'M' | 'S'))
                    && inner
                        .chars()
                        .all(|c| c.eq_ignore_ascii_case(&inner.chars().next().unwrap_or(' ')))
                {
                    return true;
                }
            }
            'a' | 'A' if !after_a => after_a = true,
            'p' | 'P' | 'm' | 'M' | '/' if after_a => return true,
            'd' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S' if !after_a => return true,
            _ => {}
        }
    }
    false
}

/// The shared strings, each as the cell it makes (trimmed text, or empty).
fn shared_strings(xml: &[u8]) -> Result<Vec<Cell>, Stop> {
    // Prefixed elements (`<x:si>`) are left to calamine.
    if memchr::memmem::find(xml, b"<sst").is_none() {
        return Err(Stop::Fallback);
    }
    let mut out = Vec::new();
    let mut at = 0;
    let finder = memchr::memmem::Finder::new(b"<si");
    let mut text = String::new();
    while let Some(start) = finder.find(&xml[at..]).map(|i| at + i) {
        let after = xml.get(start + 3).copied().unwrap_or(b'>');
        if !matches!(after, b'>' | b'/') && !after.is_ascii_whitespace() {
            at = start + 3;
            continue;
        }
        let gt = start + memchr::memchr(b'>', &xml[start..]).ok_or(Stop::Fallback)?;
        if xml[gt - 1] == b'/' {
            out.push(Cell::Empty);
            at = gt + 1;
            continue;
        }
        let end = gt + memchr::memmem::find(&xml[gt..], b"</si>").ok_or(Stop::Fallback)?;
        text.clear();
        rich_text(&xml[gt + 1..end], &mut text)?;
        out.push(text_cell(&text));
        at = end + 4;
    }
    Ok(out)
}

/// Appends the text of the `<t>` elements in `body` (a string item or an inline string),
/// leaving out phonetic runs (`<rPh>`). `None` for what this reader does not handle.
fn rich_text(body: &[u8], out: &mut String) -> Result<(), Unhandled> {
    let mut at = 0;
    let mut phonetic = false;
    while let Some(tag) = next_tag(body, &mut at)? {
        match (tag.name, tag.closing) {
            (b"rPh", false) => phonetic = !tag.empty,
            (b"rPh", true) => phonetic = false,
            (b"t", false) if !tag.empty => {
                let text = text_at(body, &mut at)?;
                if !phonetic {
                    push_text(out, text)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Appends XML text, its entities resolved.
fn push_text(out: &mut String, raw: &[u8]) -> Result<(), Unhandled> {
    if memchr::memchr(b'&', raw).is_some() {
        out.push_str(&unescape(raw).ok_or(Unhandled)?);
    } else {
        out.push_str(std::str::from_utf8(raw).map_err(|_| Unhandled)?);
    }
    Ok(())
}

#[cfg(test)]
#[path = "xlsx_tests.rs"]
mod tests;
