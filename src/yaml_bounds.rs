//! Bounds on YAML input, checked before serde_norway parses it.
//!
//! Measured with serde_norway 0.9 (release build): its libyaml scanner walks its stack of
//! possible simple keys, one per open flow collection, for every token, so deep flow nesting
//! costs depth² (`{a: ` 100 000 deep: 60-80 s before the deserializer's own depth limit says
//! no). Aliases are expanded by the deserializer with no bound on the bytes a repeated alias
//! copies (100 000 aliases of a 100 000-item list: out of memory). So before parsing, every
//! YAML file plumb reads is checked here:
//! - its size is capped ([`MAX_YAML_BYTES`]);
//! - libyaml's own event parser walks it once, stopping at the first collection deeper than
//!   [`MAX_DEPTH`] (so the scanner's per-token cost stays bounded) and once the document,
//!   aliases expanded, holds more than [`MAX_YAML_NODES`] values or would outweigh
//!   [`MAX_YAML_BYTES`] of text;
//! - files that never need aliases (policy, config) may refuse them outright.
//!
//! Syntax errors are not reported here: the real parse reports them in its own words.

use std::collections::HashMap;
use std::fmt;
use std::mem::MaybeUninit;

use unsafe_libyaml_norway as unsafe_yaml;

/// Largest policy, config, inventory or rule file read (8 MiB: tens of thousands of hosts).
pub const MAX_YAML_BYTES: u64 = 8 * 1024 * 1024;

/// Most values (scalars and collections, aliases expanded) in one file. Parsed, a value costs
/// serde_norway a few hundred bytes (an 8 MiB list of one-letter items: 4 million values,
/// about 1 GB); a million (100 000 hosts of 10 values each) bounds it to a few hundred MB.
pub const MAX_YAML_NODES: u64 = 1_000_000;

/// Deepest nesting of collections; plumb's formats need a handful of levels.
pub const MAX_DEPTH: usize = 64;

/// Whether a file may use aliases (`*name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aliases {
    /// Allowed, as long as the expanded document stays within the limits above.
    Bounded,
    /// Refused: the format never needs them.
    Refused,
}

/// Why a text was refused, and where (1-based, as serde_norway counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Refusal {
    /// `:LINE:COLUMN`, or nothing when the refusal is about the whole file.
    pub fn location_suffix(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!(":{line}:{column}"),
            _ => String::new(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Checks `text` against the bounds above.
pub fn check(text: &str, aliases: Aliases) -> Result<(), Refusal> {
    if text.len() as u64 > MAX_YAML_BYTES {
        return Err(Refusal {
            line: None,
            column: None,
            message: format!(
                "{} bytes is over the {MAX_YAML_BYTES}-byte limit for a YAML file",
                text.len()
            ),
        });
    }
    let mut walk = Walk::new(aliases);
    let mut parser = Parser::new(text.as_bytes());
    while let Some(event) = parser.next() {
        walk.event(&event)?;
        if event.kind == unsafe_yaml::YAML_STREAM_END_EVENT {
            break;
        }
    }
    Ok(())
}

/// One libyaml event, copied out of the parser.
struct Event {
    kind: unsafe_yaml::yaml_event_type_t,
    line: usize,
    column: usize,
    anchor: Option<Vec<u8>>,
    /// Scalar length in bytes.
    length: u64,
}

/// The size of a node with its aliases expanded: how many nodes, and how many scalar bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    nodes: u64,
    bytes: u64,
}

impl Weight {
    fn node(bytes: u64) -> Self {
        Self { nodes: 1, bytes }
    }

    fn add(&mut self, other: Weight) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// The running totals of one pass over the events.
struct Walk {
    aliases: Aliases,
    /// Expanded weight of each anchored node.
    anchors: HashMap<Vec<u8>, Weight>,
    /// Open collections: their anchor and weight so far.
    open: Vec<(Option<Vec<u8>>, Weight)>,
    /// The whole document so far, aliases expanded.
    expanded: Weight,
}

impl Walk {
    fn new(aliases: Aliases) -> Self {
        Self {
            aliases,
            anchors: HashMap::new(),
            open: Vec::new(),
            expanded: Weight::default(),
        }
    }

    fn event(&mut self, event: &Event) -> Result<(), Refusal> {
        let refuse = |message: String| Refusal {
            line: Some(event.line + 1),
            column: Some(event.column + 1),
            message,
        };
        match event.kind {
            unsafe_yaml::YAML_DOCUMENT_START_EVENT => {
                self.anchors.clear();
                self.open.clear();
            }
            unsafe_yaml::YAML_SEQUENCE_START_EVENT | unsafe_yaml::YAML_MAPPING_START_EVENT => {
                if self.open.len() >= MAX_DEPTH {
                    return Err(refuse(format!(
                        "nested deeper than {MAX_DEPTH} levels of sequences and mappings"
                    )));
                }
                // The collection's own node counts towards the document now, and towards its
                // parent (through its total) when it ends.
                self.open.push((event.anchor.clone(), Weight::node(0)));
                self.count(Weight::node(0)).map_err(refuse)?;
            }
            unsafe_yaml::YAML_SEQUENCE_END_EVENT | unsafe_yaml::YAML_MAPPING_END_EVENT => {
                if let Some((anchor, weight)) = self.open.pop() {
                    if let Some(anchor) = anchor {
                        self.anchors.insert(anchor, weight);
                    }
                    self.add_to_parent(weight);
                }
            }
            unsafe_yaml::YAML_SCALAR_EVENT => {
                let weight = Weight::node(event.length);
                if let Some(anchor) = &event.anchor {
                    self.anchors.insert(anchor.clone(), weight);
                }
                self.add_to_parent(weight);
                self.count(weight).map_err(refuse)?;
            }
            unsafe_yaml::YAML_ALIAS_EVENT => {
                if self.aliases == Aliases::Refused {
                    return Err(refuse(
                        "aliases (*name) are not allowed in this file; write the value out".into(),
                    ));
                }
                // An unknown alias is the real parse's error to report.
                let weight = event
                    .anchor
                    .as_ref()
                    .and_then(|name| self.anchors.get(name))
                    .copied()
                    .unwrap_or(Weight::node(0));
                self.add_to_parent(weight);
                self.count(weight).map_err(refuse)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn add_to_parent(&mut self, weight: Weight) {
        if let Some(parent) = self.open.last_mut() {
            parent.1.add(weight);
        }
    }

    fn count(&mut self, weight: Weight) -> Result<(), String> {
        self.expanded.add(weight);
        if self.expanded.nodes > MAX_YAML_NODES {
            return Err(format!(
                "more than {MAX_YAML_NODES} values (sequence items, keys and values), aliases expanded"
            ));
        }
        if self.expanded.nodes.saturating_add(self.expanded.bytes) > MAX_YAML_BYTES {
            return Err(format!(
                "with its aliases expanded, the document is larger than the {MAX_YAML_BYTES}-byte limit for a YAML file"
            ));
        }
        Ok(())
    }
}

/// libyaml's event parser over a borrowed text.
struct Parser<'text> {
    sys: Box<MaybeUninit<unsafe_yaml::yaml_parser_t>>,
    initialized: bool,
    done: bool,
    _text: &'text [u8],
}

impl<'text> Parser<'text> {
    fn new(text: &'text [u8]) -> Self {
        let mut sys = Box::new(MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit());
        // SAFETY: the parser lives in a box that never moves and is deleted in Drop; the input
        // outlives it (`'text`).
        let initialized = unsafe {
            let parser = sys.as_mut_ptr();
            let initialized = unsafe_yaml::yaml_parser_initialize(parser).ok;
            if initialized {
                unsafe_yaml::yaml_parser_set_encoding(parser, unsafe_yaml::YAML_UTF8_ENCODING);
                unsafe_yaml::yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
            }
            initialized
        };
        Self {
            sys,
            initialized,
            done: !initialized,
            _text: text,
        }
    }

    /// The next event; `None` at a syntax error (left to the real parse) or after the end.
    fn next(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        let mut raw = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised and has not failed (`done` is false); an event filled by a successful
        // yaml_parser_parse is read, then deleted once.
        unsafe {
            let parser = self.sys.as_mut_ptr();
            if unsafe_yaml::yaml_parser_parse(parser, raw.as_mut_ptr()).fail {
                self.done = true;
                return None;
            }
            let raw = raw.as_mut_ptr();
            let anchor_ptr = match (*raw).type_ {
                unsafe_yaml::YAML_ALIAS_EVENT => (*raw).data.alias.anchor,
                unsafe_yaml::YAML_SCALAR_EVENT => (*raw).data.scalar.anchor,
                unsafe_yaml::YAML_SEQUENCE_START_EVENT => (*raw).data.sequence_start.anchor,
                unsafe_yaml::YAML_MAPPING_START_EVENT => (*raw).data.mapping_start.anchor,
                _ => std::ptr::null_mut(),
            };
            let anchor = (!anchor_ptr.is_null()).then(|| {
                std::ffi::CStr::from_ptr(anchor_ptr.cast())
                    .to_bytes()
                    .to_vec()
            });
            let length = if (*raw).type_ == unsafe_yaml::YAML_SCALAR_EVENT {
                (*raw).data.scalar.length
            } else {
                0
            };
            let event = Event {
                kind: (*raw).type_,
                line: (*raw).start_mark.line as usize,
                column: (*raw).start_mark.column as usize,
                anchor,
                length,
            };
            unsafe_yaml::yaml_event_delete(raw);
            if event.kind == unsafe_yaml::YAML_STREAM_END_EVENT {
                self.done = true;
            }
            Some(event)
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.initialized {
            // SAFETY: deletes, once, what a successful yaml_parser_initialize set up.
            unsafe { unsafe_yaml::yaml_parser_delete(self.sys.as_mut_ptr()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str, aliases: Aliases) -> Refusal {
        check(text, aliases).unwrap_err()
    }

    #[test]
    fn ordinary_documents_pass() {
        let text = "a: 1\nb: [x, {y: z}]\nc:\n  - d: |\n      text\n";
        assert_eq!(check(text, Aliases::Refused), Ok(()));
        // A syntax error is the real parse's to report.
        assert_eq!(check("a: [\n", Aliases::Refused), Ok(()));
    }

    #[test]
    fn deep_flow_and_block_nesting_are_refused_where_they_pass_the_limit() {
        let deep_flow = format!("a: {}1{}\n", "{a: ".repeat(100_000), "}".repeat(100_000));
        let err = refusal(&deep_flow, Aliases::Bounded);
        assert!(err.message.contains("deeper than 64"), "{err}");
        assert_eq!((err.line, err.column), (Some(1), Some(4 + 4 * 63)));
        let deep_block = format!("{}x\n", "- ".repeat(100_000));
        assert!(
            refusal(&deep_block, Aliases::Bounded)
                .message
                .contains("deeper")
        );
        let ok = format!("{}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check(&ok, Aliases::Bounded), Ok(()));
    }

    #[test]
    fn alias_expansion_is_bounded_and_refusable() {
        let item = "x".repeat(1000);
        let bomb = format!(
            "a: &a [{}]\nb: [{}]\n",
            vec![item.as_str(); 100].join(","),
            vec!["*a"; 100_000].join(",")
        );
        let err = refusal(&bomb, Aliases::Bounded);
        assert!(err.message.contains("aliases expanded"), "{err}");
        assert_eq!(err.line, Some(2));
        let laughs: String = (1..30)
            .map(|i| {
                format!(
                    "a{i}: &a{i} [{}]\n",
                    vec![format!("*a{}", i - 1); 10].join(",")
                )
            })
            .collect();
        let laughs = format!("a0: &a0 [x]\n{laughs}");
        assert!(
            refusal(&laughs, Aliases::Bounded)
                .message
                .contains("expanded")
        );
        let small = "base: &b {x: 1}\nuse: *b\n";
        assert_eq!(check(small, Aliases::Bounded), Ok(()));
        let err = refusal(small, Aliases::Refused);
        assert_eq!((err.line, err.column), (Some(2), Some(6)));
        assert!(err.message.contains("aliases"), "{err}");
    }

    #[test]
    fn a_huge_number_of_values_is_refused() {
        let many = format!("[{}]\n", vec!["x"; MAX_YAML_NODES as usize].join(","));
        let err = refusal(&many, Aliases::Bounded);
        assert!(err.message.contains("more than 1000000 values"), "{err}");
        let enough = format!("[{}]\n", vec!["x"; MAX_YAML_NODES as usize - 1].join(","));
        assert_eq!(check(&enough, Aliases::Bounded), Ok(()));
    }

    #[test]
    fn oversized_text_is_refused_before_parsing() {
        let big = "#".repeat(MAX_YAML_BYTES as usize + 1);
        let err = refusal(&big, Aliases::Bounded);
        assert_eq!(err.line, None);
        assert!(err.message.contains("limit"), "{err}");
    }
}
