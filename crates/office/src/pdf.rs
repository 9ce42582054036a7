//! PDF through Typst, with a Chinese font found on the system (or given by path).
//!
//! Only font files whose names suggest a CJK face are read (Noto CJK, 仿宋/黑体/楷体 and
//! friends, WenQuanYi, AR PL, Droid fallback), and only faces that cover 中 are kept, so
//! a machine with hundreds of fonts is still searched in milliseconds. The fonts are
//! loaded once per process.

use crate::bulletin::Families;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Why a PDF could not be made, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error(
        "未找到中文字体：请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），或用 --font 指定字体文件 / No Chinese font found: install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) or give a font file with --font"
    )]
    NoFont,
    #[error(
        "字体文件 {0} 无法读取或不含中文字形 / The font file {0} cannot be read or has no Chinese glyphs"
    )]
    BadFont(String),
    #[error("排版失败 / Typesetting failed: {0}")]
    Typeset(String),
}

/// Fonts found for the PDF.
pub struct Fonts {
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
    /// The families to ask for, per role.
    pub families: Families,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.fonts.len())
            .field("families", &self.families)
            .finish()
    }
}

const DIRS: [&str; 3] = [
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/usr/share/fonts/truetype",
];

/// Name fragments of files worth opening (lower case).
const HINTS: [&str; 14] = [
    "cjk",
    "fang",
    "song",
    "hei",
    "kai",
    "ming",
    "wqy",
    "fallback",
    "simsun",
    "fz",
    "sourcehan",
    "han",
    "arphic",
    "gb2312",
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && depth < 6 {
            walk(&p, out, depth + 1);
        } else {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let font_ext = [".ttf", ".otf", ".ttc", ".otc"]
                .iter()
                .any(|x| name.ends_with(x));
            if font_ext && HINTS.iter().any(|h| name.contains(h)) {
                out.push(p);
            }
        }
    }
}

fn load(path: &Path) -> Vec<Font> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    Font::iter(Bytes::new(data))
        .filter(|f| f.info().coverage.contains('中' as u32))
        .collect()
}

/// Orders the families present by preference for each role.
fn families(present: &[String]) -> Families {
    let pick = |prefs: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = prefs
            .iter()
            .filter_map(|p| present.iter().find(|f| f.eq_ignore_ascii_case(p)).cloned())
            .collect();
        // Anything else with Chinese glyphs as a last resort, in a stable order.
        for f in present {
            if !v.contains(f) {
                v.push(f.clone());
            }
        }
        v
    };
    Families {
        body: pick(&[
            "FangSong_GB2312",
            "FangSong",
            "仿宋_GB2312",
            "仿宋",
            "Noto Serif CJK SC",
            "Source Han Serif SC",
            "AR PL UMing CN",
            "Noto Sans CJK SC",
            "WenQuanYi Zen Hei",
        ]),
        heading: pick(&[
            "SimHei",
            "黑体",
            "Noto Sans CJK SC",
            "Source Han Sans SC",
            "WenQuanYi Zen Hei",
            "WenQuanYi Micro Hei",
        ]),
        kai: pick(&[
            "KaiTi_GB2312",
            "KaiTi",
            "楷体_GB2312",
            "楷体",
            "AR PL UKai CN",
            "Noto Serif CJK SC",
        ]),
        title: pick(&[
            "FZXiaoBiaoSong-B05S",
            "方正小标宋简体",
            "Noto Serif CJK SC",
            "Source Han Serif SC",
            "SimSun",
            "Noto Sans CJK SC",
        ]),
    }
}

/// Finds Chinese fonts: the given file if any (it must have Chinese glyphs), then the
/// system's. An error names the Debian package to install when there are none.
pub fn find_fonts(extra: Option<&Path>) -> Result<Fonts, PdfError> {
    let mut fonts = Vec::new();
    if let Some(p) = extra {
        let got = load(p);
        if got.is_empty() {
            return Err(PdfError::BadFont(p.display().to_string()));
        }
        fonts.extend(got);
    }
    let mut files = Vec::new();
    for d in DIRS {
        walk(Path::new(d), &mut files, 0);
    }
    if let Some(home) = std::env::var_os("HOME") {
        walk(&Path::new(&home).join(".local/share/fonts"), &mut files, 0);
        walk(&Path::new(&home).join(".fonts"), &mut files, 0);
    }
    files.sort();
    files.dedup();
    for f in &files {
        fonts.extend(load(f));
    }
    if fonts.is_empty() {
        return Err(PdfError::NoFont);
    }
    let mut present: Vec<String> = Vec::new();
    // The given file's families first: they lead every role.
    for f in &fonts {
        let fam = f.info().family.clone();
        if !present.contains(&fam) {
            present.push(fam);
        }
    }
    let mut fam = families(&present);
    if extra.is_some() {
        let first = fonts[0].info().family.clone();
        for v in [
            &mut fam.body,
            &mut fam.heading,
            &mut fam.kai,
            &mut fam.title,
        ] {
            v.retain(|x| *x != first);
            v.insert(0, first.clone());
        }
    }
    let book = LazyHash::new(FontBook::from_fonts(&fonts));
    Ok(Fonts {
        fonts,
        book,
        families: fam,
    })
}

/// The system's fonts, searched once per process.
pub fn system_fonts() -> Result<&'static Fonts, PdfError> {
    static FONTS: OnceLock<Result<Fonts, PdfError>> = OnceLock::new();
    FONTS
        .get_or_init(|| find_fonts(None))
        .as_ref()
        .map_err(Clone::clone)
}

struct Doc<'a> {
    library: LazyHash<Library>,
    fonts: &'a Fonts,
    main: Source,
}

impl World for Doc<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        // The markup reads no files: no images, no includes.
        Err(FileError::AccessDenied)
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

/// Typesets Typst markup into a PDF with the given fonts.
pub fn render(markup: &str, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let id = FileId::new(None, VirtualPath::new("/bulletin.typ"));
    let world = Doc {
        library: LazyHash::new(Library::default()),
        fonts,
        main: Source::new(id, markup.to_string()),
    };
    let doc = typst::compile::<typst::layout::PagedDocument>(&world)
        .output
        .map_err(|errs| {
            PdfError::Typeset(
                errs.iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errs| {
        PdfError::Typeset(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_prefer_official_faces_then_fall_back() {
        let f = families(&["Noto Sans CJK SC".into(), "Noto Serif CJK SC".into()]);
        assert_eq!(f.body[0], "Noto Serif CJK SC");
        assert_eq!(f.heading[0], "Noto Sans CJK SC");
        assert_eq!(f.body.len(), 2, "the other face stays as a fallback");
        let g = families(&["FangSong".into(), "Noto Serif CJK SC".into()]);
        assert_eq!(g.body[0], "FangSong");
    }

    #[test]
    fn a_font_file_without_chinese_is_refused_by_name() {
        let dir = std::env::temp_dir().join("gongjian-pdf-test-font.ttf");
        std::fs::write(&dir, b"not a font").unwrap();
        let e = find_fonts(Some(&dir)).unwrap_err();
        assert!(e.to_string().contains("gongjian-pdf-test-font.ttf"), "{e}");
        assert!(PdfError::NoFont.to_string().contains("fonts-noto-cjk"));
    }
}
