//! The rows of one worksheet, read as its XML is inflated: a step of XML at a time, each
//! row handed over as soon as it is read.

use super::*;

/// Sheet XML inflated per step: the rows of one step are handed over before the next
/// is inflated.
pub(super) const STEP: u64 = 1 << 20;

/// Reads a part (inflating it) `step` bytes at a time and hands `feed` the bytes read so
/// far that end with a whole row (`</row>`), or all that is left once the part ends
/// (`eof`). `feed` says how many bytes it used (the rest is handed over again with the
/// next step), or `None` once the rows are over.
pub(super) fn stream(
    part: impl Read,
    step: u64,
    mut feed: impl FnMut(&[u8], bool) -> Result<Option<usize>, CellStop>,
) -> Result<(), CellStop> {
    let mut file = part.take(MAX_PART + 1);
    let mut buf: Vec<u8> = Vec::with_capacity(step as usize * 2);
    let mut total = 0u64;
    let row_end = memchr::memmem::FinderRev::new(b"</row>");
    loop {
        let n = (&mut file)
            .take(step)
            .read_to_end(&mut buf)
            .map_err(|_| CellStop::Fallback)? as u64;
        total += n;
        if total > MAX_PART {
            return Err(CellStop::Bad(format!(
                "解压后超过 {0} MB / larger than {0} MB uncompressed",
                MAX_PART >> 20
            )));
        }
        let eof = n < step;
        let upto = if eof {
            buf.len()
        } else {
            row_end.rfind(&buf).map_or(0, |i| i + 6)
        };
        match feed(&buf[..upto], eof)? {
            // The sheet's rows are over.
            None => return Ok(()),
            Some(_) if eof => return Err(CellStop::Fallback),
            Some(used) => {
                buf.drain(..used);
            }
        }
    }
}

impl From<Unhandled> for CellStop {
    fn from(_: Unhandled) -> CellStop {
        CellStop::Fallback
    }
}

pub(super) enum CellStop {
    Fallback,
    Bad(String),
}

/// `B12` → (11, 1): zero-based row and column.
pub(super) fn cell_ref(r: &[u8]) -> Option<(usize, usize)> {
    let letters = r.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 || letters == r.len() {
        return None;
    }
    let mut col = 0usize;
    for c in &r[..letters] {
        col = col * 26 + usize::from(c.to_ascii_uppercase() - b'A' + 1);
    }
    let row = parse_usize(&r[letters..])?;
    Some((row.checked_sub(1)?, col - 1))
}

pub(super) fn parse_usize(d: &[u8]) -> Option<usize> {
    if d.is_empty() || d.len() > 9 {
        return None;
    }
    let mut n = 0usize;
    for c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(c - b'0');
    }
    Some(n)
}

/// The rows of one worksheet's XML, read as it is inflated.
pub(super) struct SheetRows<'s> {
    strings: &'s [Cell],
    dates: &'s [bool],
    /// Whether `<sheetData>` was found.
    started: bool,
    /// Where the next `<row>` or `<c>` without a reference goes.
    row: usize,
    col: usize,
    /// The row being read, and the last one handed over.
    pending: Option<usize>,
    last: Option<usize>,
    cells: Vec<Cell>,
}

impl<'s> SheetRows<'s> {
    pub(super) fn new(strings: &'s [Cell], dates: &'s [bool]) -> Self {
        SheetRows {
            strings,
            dates,
            started: false,
            row: 0,
            col: 0,
            pending: None,
            last: None,
            cells: Vec::new(),
        }
    }

    /// Reads the rows in `xml` (which ends with a whole row, or is the rest of the part
    /// when `eof`) and says how many bytes it used; `None` once the rows are over.
    pub(super) fn feed(
        &mut self,
        xml: &[u8],
        eof: bool,
        sink: &mut dyn Rows,
    ) -> Result<Option<usize>, CellStop> {
        let mut at = 0;
        if !self.started {
            let Some(start) = memchr::memmem::find(xml, b"sheetData") else {
                return if eof {
                    Err(CellStop::Fallback)
                } else {
                    Ok(Some(0))
                };
            };
            at = start + memchr::memchr(b'>', &xml[start..]).ok_or(CellStop::Fallback)? + 1;
            self.started = true;
            if xml[at - 2] == b'/' {
                return Ok(None);
            }
        }
        loop {
            let Some(tag) = next_tag(xml, &mut at)? else {
                return Ok(Some(at));
            };
            match (tag.name, tag.closing) {
                (b"sheetData", true) => {
                    self.hand_over(sink);
                    return Ok(None);
                }
                (b"row", false) => {
                    if let Some(r) = attr_raw(tag.attrs, b"r", false) {
                        self.row = parse_usize(r)
                            .and_then(|r| r.checked_sub(1))
                            .ok_or(CellStop::Fallback)?;
                    }
                    self.col = 0;
                    if tag.empty {
                        self.row += 1;
                    }
                }
                (b"row", true) => {
                    self.row += 1;
                    self.col = 0;
                }
                (b"c", false) => {
                    let (r, c) = match attr_raw(tag.attrs, b"r", false) {
                        Some(r) => cell_ref(r).ok_or(CellStop::Fallback)?,
                        None => (self.row, self.col),
                    };
                    self.col = c + 1;
                    if !tag.empty {
                        let value = cell_value(xml, &mut at, tag.attrs, self.strings, self.dates)?;
                        self.put(r, c, value, sink)?;
                    }
                }
                _ => {}
            }
        }
    }

    /// Puts a cell in the row being read; a cell of a later row hands that row over
    /// first. A cell of an earlier row (out of order) is left to calamine.
    fn put(
        &mut self,
        r: usize,
        c: usize,
        value: Cell,
        sink: &mut dyn Rows,
    ) -> Result<(), CellStop> {
        if value == Cell::Empty {
            return Ok(());
        }
        match self.pending {
            Some(p) if p == r => {}
            Some(p) if p < r => {
                self.hand_over(sink);
                self.pending = Some(r);
            }
            Some(_) => return Err(CellStop::Fallback),
            None if self.last.is_some_and(|l| r <= l) => return Err(CellStop::Fallback),
            None => self.pending = Some(r),
        }
        if self.cells.len() <= c {
            self.cells.resize(c + 1, Cell::Empty);
        }
        self.cells[c] = value;
        Ok(())
    }

    fn hand_over(&mut self, sink: &mut dyn Rows) {
        if let Some(p) = self.pending.take() {
            sink.row(p, &self.cells);
            self.cells.clear();
            self.last = Some(p);
        }
    }
}

/// One cell's value, from its attributes and its children (`<f>`, `<v>`, `<is>`), read
/// from `at` (just past `<c …>`) up to its end tag; `at` is left past the end tag.
fn cell_value(
    xml: &[u8],
    at: &mut usize,
    attrs: &[u8],
    strings: &[Cell],
    dates: &[bool],
) -> Result<Cell, CellStop> {
    let mut v: Option<&[u8]> = None;
    let mut inline: Option<String> = None;
    let mut phonetic = false;
    loop {
        let tag = next_tag(xml, at)?.ok_or(CellStop::Fallback)?;
        match (tag.name, tag.closing) {
            (b"c", true) => break,
            (b"rPh", true) => phonetic = false,
            (_, true) => {}
            (b"v", false) if tag.empty => v = Some(&[]),
            (b"is", false) => inline = Some(String::new()),
            (b"rPh", false) => phonetic = !tag.empty,
            (b"v", false) => v = Some(text_at(xml, at)?),
            (b"t", false) if !tag.empty => {
                let text = text_at(xml, at)?;
                if let Some(s) = inline.as_mut()
                    && !phonetic
                {
                    push_text(s, text)?;
                }
            }
            _ => {}
        }
    }
    // An inline string, whatever `t` says.
    if let Some(text) = inline {
        return Ok(text_cell(&text));
    }
    let Some(raw) = v else {
        return Ok(Cell::Empty);
    };
    let owned;
    let v: &str = if memchr::memchr(b'&', raw).is_some() {
        owned = unescape(raw).ok_or(CellStop::Fallback)?;
        &owned
    } else {
        std::str::from_utf8(raw).map_err(|_| CellStop::Fallback)?
    };
    let number = |v: &str| -> Option<Cell> {
        let n: f64 = v.parse().ok()?;
        // No style is the default style; an unreadable one counts as style 0 (as calamine).
        let date = attr_raw(attrs, b"s", false).is_some_and(|s| {
            dates
                .get(parse_usize(s).unwrap_or(0))
                .copied()
                .unwrap_or(false)
        });
        Some(if date { Cell::Date(n) } else { Cell::Number(n) })
    };
    Ok(match attr_raw(attrs, b"t", false) {
        Some(b"s") => {
            let i = parse_usize(v.as_bytes()).unwrap_or(0);
            strings.get(i).cloned().ok_or_else(|| {
                CellStop::Bad(format!(
                    "共享字符串索引 {i} 超出范围（共 {} 个） / shared string {i} out of range",
                    strings.len()
                ))
            })?
        }
        Some(b"b") => Cell::Bool(v != "0"),
        Some(b"e") => Cell::Empty,
        Some(b"d" | b"str" | b"inlineStr") => text_cell(v),
        Some(b"n") => {
            if v.is_empty() {
                Cell::Empty
            } else {
                number(v).ok_or_else(|| {
                    CellStop::Bad(format!("“{v}”不是数字 / '{v}' is not a number"))
                })?
            }
        }
        None => number(v).unwrap_or_else(|| text_cell(v)),
        Some(_) => return Err(CellStop::Fallback),
    })
}
