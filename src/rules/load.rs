//! Loading rule files and directories into a validated [`RuleSet`].

use super::cache::{Parsed, RuleCache};
use super::kensa::{self, DialectChoice};
use super::model::*;
use super::names;
use super::raw::{CheckNode, ModeText, OneOrMany, RawCheck, RawRule, Scalar, permission_mode};
use super::shape::OneOrList;
use super::vars::{Resolved, TextKind, VarOrigin, Vars, substitute};
use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read rules from {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    #[error("no rule files (*.yml, *.yaml) found in {0}")]
    Empty(String),
}

impl LoadError {
    fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// The rules loaded for a scan, in a stable order (by id).
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

/// One rule file's text and the name used in messages.
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

/// Reads rule files from paths (files or directories, searched recursively for *.yml/*.yaml).
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<RuleSource>, LoadError> {
    let mut sources = Vec::new();
    for path in paths {
        let io = |source| LoadError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = fs::metadata(path).map_err(io)?;
        let files = if meta.is_dir() {
            let mut files = Vec::new();
            collect_yaml_files(path, &mut files)?;
            if files.is_empty() {
                return Err(LoadError::Empty(path.display().to_string()));
            }
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            let text = crate::bounded_read::read_regular_text(&file, MAX_YAML_BYTES).map_err(
                |source| LoadError::Io {
                    path: file.display().to_string(),
                    source,
                },
            )?;
            sources.push(RuleSource {
                name: file.display().to_string(),
                text,
            });
        }
    }
    Ok(sources)
}

fn collect_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    // DirEntry::file_type does not follow symlinks: a directory loads exactly the regular
    // files a policy pin hashes (policy::pins), so nothing unpinned can run under a policy.
    let mut entries: Vec<(PathBuf, fs::FileType)> = fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, file_type) in entries {
        let yaml = matches!(
            entry.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        );
        if file_type.is_dir() {
            collect_yaml_files(&entry, out)?;
        } else if file_type.is_file() && yaml {
            out.push(entry);
        } else if file_type.is_symlink() && (yaml || entry.is_dir()) {
            tracing::warn!(
                "skipping symlink {} in a rule directory (name the target with --rules instead)",
                entry.display()
            );
        }
    }
    Ok(())
}

/// Parses and validates rule sources. `overrides` (from a policy, an inventory or `--var`,
/// already merged by precedence) win over each rule's own `vars`.
///
/// Files are parsed on several threads (parsing is nearly all of loading); the outcome, and
/// which error is reported first, is that of loading them one after another in order.
pub fn load(sources: &[RuleSource], overrides: &Vars) -> Result<RuleSet, LoadError> {
    load_as(sources, overrides, DialectChoice::Auto)
}

/// [`load`], each file read in `dialect` (`auto`: each in the dialect its keys show).
pub fn load_as(
    sources: &[RuleSource],
    overrides: &Vars,
    dialect: DialectChoice,
) -> Result<RuleSet, LoadError> {
    load_with_cache(sources, overrides, cache_for(sources).as_ref(), dialect)
}

/// The user's rule cache, for sources not all from the embedded pack (which is never cached,
/// so a scan of it alone needs no cache directory).
pub(crate) fn cache_for(sources: &[RuleSource]) -> Option<RuleCache> {
    if sources.iter().all(super::is_embedded) {
        None
    } else {
        RuleCache::from_env()
    }
}

/// [`load`] with parsed files read from and kept in `cache` (none: every file is parsed).
pub fn load_with_cache(
    sources: &[RuleSource],
    overrides: &Vars,
    cache: Option<&RuleCache>,
    dialect: DialectChoice,
) -> Result<RuleSet, LoadError> {
    let shared = Shared::default();
    let files = parallel_map(sources, |source| {
        load_file(source, overrides, &shared, cache, dialect)
    });
    let mut built = Vec::with_capacity(files.iter().map(|f| f.as_ref().map_or(0, Vec::len)).sum());
    for file in files {
        match file {
            Ok(rules) => built.extend(rules),
            // Everything before the broken file came first; a duplicate or invalid rule
            // among it is reported instead, as a sequential load would.
            Err(err) => {
                first_problem(&built)?;
                return Err(err);
            }
        }
    }
    // With no problem, every entry is a rule: positions in `rules` are those in `built`.
    let by_id = first_problem(&built)?;
    let mut rules: Vec<Rule> = built
        .into_iter()
        .filter_map(|built| match built {
            Built::Rule(rule) => Some(rule),
            Built::Invalid(_) => None,
        })
        .collect();
    put_in_order(&mut rules, &by_id);
    Ok(RuleSet { rules })
}

/// Puts the rule at `order[i]` at position `i`, moving each rule once: a sort would move
/// these large values log(n) times each.
fn put_in_order(rules: &mut [Rule], order: &[u32]) {
    // Follow each cycle of the permutation once.
    let mut placed = vec![false; rules.len()];
    for start in 0..rules.len() {
        if placed[start] {
            continue;
        }
        let mut at = start;
        loop {
            placed[at] = true;
            let from = order[at] as usize;
            if from == start {
                break;
            }
            rules.swap(at, from);
            at = from;
        }
    }
}

/// Values many rules repeat, stored once per load.
#[derive(Default)]
pub(super) struct Shared {
    platforms: std::sync::Mutex<std::collections::HashSet<std::sync::Arc<[Platform]>>>,
}

impl Shared {
    pub(super) fn platforms(&self, list: Vec<Platform>) -> std::sync::Arc<[Platform]> {
        let mut known = self
            .platforms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(shared) = known.get(list.as_slice()) {
            return shared.clone();
        }
        let shared: std::sync::Arc<[Platform]> = list.into();
        known.insert(shared.clone());
        shared
    }
}

/// A rule as built from its file: valid, or why not (kept to report in file order).
// Nearly every entry is a rule: boxing it would cost an allocation per rule.
#[allow(clippy::large_enum_variant)]
enum Built {
    Rule(Rule),
    /// Boxed, as it is rare.
    Invalid(Box<Invalid>),
}

struct Invalid {
    id: String,
    origin: RuleOrigin,
    message: String,
}

impl Built {
    fn id(&self) -> &str {
        match self {
            Self::Rule(rule) => &rule.id,
            Self::Invalid(invalid) => &invalid.id,
        }
    }

    fn location(&self) -> String {
        match self {
            Self::Rule(rule) => described(&rule.source, &rule.id),
            Self::Invalid(invalid) => described(&invalid.origin, &invalid.id),
        }
    }
}

/// The first problem in file order: a rule whose id an earlier rule has, or an invalid rule.
/// Without one, the positions of `built` in the order of their ids.
fn first_problem(built: &[Built]) -> Result<Vec<u32>, LoadError> {
    // Sorting positions by id finds every repeat without a map of all ids.
    let mut order: Vec<u32> = (0..built.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        built[a as usize]
            .id()
            .cmp(built[b as usize].id())
            .then(a.cmp(&b))
    });
    // (repeat, the definition before it); the earliest repeat of an id follows its first one.
    let repeat = order
        .windows(2)
        .filter(|pair| built[pair[0] as usize].id() == built[pair[1] as usize].id())
        .map(|pair| (pair[1], pair[0]))
        .min_by_key(|(repeat, _)| *repeat);
    let invalid = built.iter().position(|b| matches!(b, Built::Invalid(_)));
    match (repeat, invalid) {
        (Some((repeat, first)), invalid) if invalid.is_none_or(|i| repeat as usize <= i) => {
            let (repeat, first) = (&built[repeat as usize], &built[first as usize]);
            Err(LoadError::invalid(
                repeat.location(),
                format!(
                    "duplicate rule id `{}` (first defined at {})",
                    repeat.id(),
                    first.location()
                ),
            ))
        }
        (_, Some(index)) => match &built[index] {
            Built::Invalid(invalid) => Err(LoadError::invalid(
                described(&invalid.origin, &invalid.id),
                invalid.message.clone(),
            )),
            Built::Rule(_) => Ok(order),
        },
        _ => Ok(order),
    }
}

/// One file's rules, in file order; an error when the file itself does not parse.
fn load_file(
    source: &RuleSource,
    overrides: &Vars,
    shared: &Shared,
    cache: Option<&RuleCache>,
    dialect: DialectChoice,
) -> Result<Vec<Built>, LoadError> {
    // One allocation of the file name, shared by its rules.
    let file: std::sync::Arc<str> = source.name.as_str().into();
    let origin = |line, column| RuleOrigin {
        file: file.clone(),
        line,
        column,
    };
    let built = |id: String, origin: RuleOrigin, rule: Result<Rule, String>| match rule {
        Ok(rule) => Built::Rule(rule),
        Err(message) => Built::Invalid(Box::new(Invalid {
            id,
            origin,
            message,
        })),
    };
    Ok(match parse_file(source, cache, dialect)? {
        ParsedFile::Plumb(parsed) => {
            let mut out = Vec::with_capacity(parsed.len());
            for Parsed { line, column, rule } in parsed {
                let (id, origin) = (rule.id.clone(), origin(line, column));
                let rule = build_rule(rule, overrides, &origin, shared);
                out.push(built(id, origin, rule));
            }
            out
        }
        ParsedFile::Kensa(parsed) => {
            let mut out = Vec::with_capacity(parsed.len());
            for kensa::Parsed { line, column, rule } in parsed {
                let (id, origin) = (rule.id.clone(), origin(line, column));
                let rule = kensa::build_rule(rule, overrides, &origin, shared);
                out.push(built(id, origin, rule));
            }
            out
        }
    })
}

/// A file's rules as read, in the dialect the file was read in.
enum ParsedFile {
    Plumb(Vec<Parsed>),
    Kensa(Vec<kensa::Parsed>),
}

/// The file's rules as read, each with where it is defined: from the cache when it holds
/// this text, else parsed (and then kept in the cache).
///
/// The dialect is found without a second parse of a plumb file: plumb's reading is tried
/// first, and only a file it refuses for a Kensa-only key is read again as Kensa. The cache
/// holds plumb files only (a Kensa file is parsed on each load): under `auto` a file that
/// reads as plumb is plumb, so a cached entry means the same whichever of `auto` and `plumb`
/// stored it, and `kensa` never consults it.
fn parse_file(
    source: &RuleSource,
    cache: Option<&RuleCache>,
    dialect: DialectChoice,
) -> Result<ParsedFile, LoadError> {
    // The pack compiled into this binary is trusted and small; everything else is bounded.
    let embedded = super::is_embedded(source);
    let cached = cache
        .filter(|_| !embedded && dialect != DialectChoice::Kensa)
        .map(|cache| (cache, RuleCache::key(&source.name, &source.text)));
    if let Some(parsed) = cached.as_ref().and_then(|(cache, key)| cache.get(key)) {
        return Ok(ParsedFile::Plumb(parsed));
    }
    if !embedded {
        yaml_bounds::check(&source.text, Aliases::Bounded).map_err(|refusal| {
            LoadError::invalid(
                format!("{}{}", source.name, refusal.location_suffix()),
                refusal.message,
            )
        })?;
    }
    if dialect == DialectChoice::Kensa {
        return kensa::parse(source, None).map(ParsedFile::Kensa);
    }
    let raws = match serde_yaml::from_str(&source.text) {
        Ok(OneOrList::<RawRule>(raws)) => raws,
        Err(err) => {
            let message = err.to_string();
            if dialect == DialectChoice::Auto
                && let Some(key) = kensa::kensa_only_key(&message, &source.text)
            {
                return kensa::parse(source, Some(key)).map(ParsedFile::Kensa);
            }
            return Err(yaml_error(&source.name, &err));
        }
    };
    let mut locator = IdLocator::new(source);
    // A fresh list: collecting in place would keep the parsed rules' much larger allocation.
    let mut parsed = Vec::with_capacity(raws.len());
    for rule in raws {
        let (line, column) = locator.locate(&rule.id);
        parsed.push(Parsed { line, column, rule });
    }
    if let Some((cache, key)) = &cached {
        cache.put(key, &parsed);
    }
    Ok(ParsedFile::Plumb(parsed))
}

/// A YAML error of the file `name` at its file:line:column.
pub(super) fn yaml_error(name: &str, err: &serde_yaml::Error) -> LoadError {
    let location = match err.location() {
        Some(at) => format!("{name}:{}:{}", at.line(), at.column()),
        None => name.to_owned(),
    };
    LoadError::invalid(location, strip_location(&err.to_string()))
}

/// Most threads loading uses; beyond a few, reading and merging dominate.
const MAX_LOAD_THREADS: usize = 8;
/// Below this much YAML, starting threads costs more than it saves.
const PARALLEL_BYTES: usize = 256 * 1024;

/// `f` over `items` on up to [`MAX_LOAD_THREADS`] threads, results in the order of `items`.
fn parallel_map<R: Send>(items: &[RuleSource], f: impl Fn(&RuleSource) -> R + Sync) -> Vec<R> {
    let bytes: usize = items.iter().map(|item| item.text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_LOAD_THREADS)
        .min(items.len());
    if threads <= 1 || bytes < PARALLEL_BYTES {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            break done;
                        };
                        done.push((index, f(item)));
                    }
                })
            })
            .collect();
        for worker in workers {
            // A panic in a worker is a bug in loading; carry it to the caller unchanged.
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (index, result) in done {
                slots[index] = Some(result);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

/// serde_norway appends " at line L column C"; the location is already in front.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A rule's location for messages: `file:line:column`, or the file and the rule's id when
/// its `id:` is not on a line of its own.
fn described(origin: &RuleOrigin, id: &str) -> String {
    if origin.line == 0 {
        format!("{} (rule `{id}`)", origin.file)
    } else {
        origin.to_string()
    }
}

/// Finds the line and column of each rule's `id:` key, for errors found after parsing. Rules come
/// in file order, so the search resumes where the previous one ended (one pass per file).
pub(super) struct IdLocator<'a> {
    lines: Vec<&'a str>,
    cursor: usize,
}

impl<'a> IdLocator<'a> {
    pub(super) fn new(source: &'a RuleSource) -> Self {
        Self {
            lines: source.text.lines().collect(),
            cursor: 0,
        }
    }

    /// 1-based (line, column); (0, 0) when not found.
    pub(super) fn locate(&mut self, id: &str) -> (u32, u32) {
        let found = (self.cursor..self.lines.len())
            .chain(0..self.cursor)
            .find_map(|index| id_column(self.lines[index], id).map(|column| (index, column)));
        match found {
            Some((index, column)) => {
                self.cursor = index + 1;
                let position = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                (position(index + 1), position(column))
            }
            None => (0, 0),
        }
    }
}

/// The column of `id: <id>` on this line, if it is that line.
fn id_column(line: &str, id: &str) -> Option<usize> {
    let trimmed = line.trim_start_matches([' ', '-']);
    let value = trimmed.strip_prefix("id:")?;
    (value.trim().trim_matches(['"', '\'']) == id).then(|| line.len() - trimmed.len() + 1)
}

/// The values a rule's `{{ var }}` placeholders take: the rule's own defaults, each
/// overridden by `overrides` (already merged by precedence, see `commands::scan`), and any
/// other name from `overrides` alone.
pub(super) struct VarScope<'a> {
    /// Each value with its origin; `None` is the rule's own default.
    defaults: BTreeMap<String, (String, Option<&'a VarOrigin>)>,
    overrides: &'a Vars,
    dialect: Dialect,
    /// Names looked up that the rule does not declare, with their values (Kensa only).
    used: std::cell::RefCell<BTreeMap<String, String>>,
}

impl<'a> VarScope<'a> {
    pub(super) fn new(
        defaults: BTreeMap<String, Scalar>,
        overrides: &'a Vars,
        dialect: Dialect,
    ) -> Self {
        let mut defaults: BTreeMap<String, (String, Option<&VarOrigin>)> = defaults
            .into_iter()
            .map(|(name, Scalar(value))| (name, (value, None)))
            .collect();
        for (name, var) in overrides {
            if let Some(slot) = defaults.get_mut(name) {
                *slot = (var.value.clone(), Some(&var.origin));
            }
        }
        Self {
            defaults,
            overrides,
            dialect,
            used: Default::default(),
        }
    }

    /// `text` with its placeholders replaced (see [`substitute`]).
    pub(super) fn resolve(&self, text: &str, kind: TextKind) -> Result<String, String> {
        let lookup = |name: &str| match self.defaults.get(name) {
            Some((value, origin)) => Some(Resolved {
                value,
                origin: *origin,
            }),
            None => self.overrides.get(name).map(|var| {
                if self.dialect == Dialect::Kensa {
                    self.used
                        .borrow_mut()
                        .insert(name.to_owned(), var.value.clone());
                }
                Resolved {
                    value: &var.value,
                    origin: Some(&var.origin),
                }
            }),
        };
        substitute(text, kind, self.dialect, &lookup)
    }

    /// The rule's variables with the values its checks used. A Kensa rule declares none, so
    /// for it these are the variables its checks used.
    pub(super) fn values(&self) -> BTreeMap<String, String> {
        let mut values: BTreeMap<String, String> = self
            .defaults
            .iter()
            .map(|(name, (value, _))| (name.clone(), value.clone()))
            .collect();
        if self.dialect == Dialect::Kensa {
            values.extend(self.used.borrow().clone());
        }
        values
    }
}

fn build_rule(
    raw: RawRule,
    overrides: &Vars,
    origin: &RuleOrigin,
    shared: &Shared,
) -> Result<Rule, String> {
    let scope = VarScope::new(raw.vars, overrides, Dialect::Plumb);
    let mut resolve = |text: &str, kind: TextKind| scope.resolve(text, kind);

    let build = |node: CheckNode, resolve: &mut super::raw::StringMap| {
        let mut raw = *node.0;
        raw.try_map_strings(resolve)?;
        build_expr(raw)
    };

    let implementations = if let Some(list) = raw.implementations {
        let mut out = Vec::with_capacity(list.len());
        let mut default = None;
        for implementation in list {
            let check = build(implementation.check, &mut resolve)?;
            match implementation.when {
                Some(name) => out.push(Implementation {
                    when: Capability::parse(&name).map(When::Has),
                    check,
                }),
                None => default = Some(check),
            }
        }
        // The default goes last so "first match wins" reaches it only when nothing else does.
        let check = default.ok_or("no default implementation")?;
        out.push(Implementation { when: None, check });
        out
    } else {
        let check = match (raw.check, raw.checks, raw.any) {
            (Some(node), _, _) => build(node, &mut resolve)?,
            (None, Some(nodes), _) => {
                CheckExpr::All(build_each(nodes, |node| build(node, &mut resolve))?)
            }
            (None, None, Some(nodes)) => {
                CheckExpr::Any(build_each(nodes, |node| build(node, &mut resolve))?)
            }
            (None, None, None) => return Err("the rule has no check".into()),
        };
        vec![Implementation { when: None, check }]
    };

    let platforms: Vec<Platform> = raw
        .platforms
        .into_iter()
        .map(|p| platform(p.family, p.min_version, p.max_version))
        .collect();
    let references = references_json(raw.references)?;
    let platforms = shared.platforms(platforms);
    Ok(Rule {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        rationale: raw.rationale,
        severity: raw.severity,
        tags: exact(raw.tags),
        profiles: exact(raw.profiles),
        references_json: references,
        platforms,
        vars: scope.values(),
        remediation: raw.remediation,
        notes: raw.notes,
        sensitive: raw.sensitive,
        implementations,
        dialect: Dialect::Plumb,
        metadata: None,
        relations: None,
        source: origin.clone(),
    })
}

pub(super) fn platform(family: String, min: Option<Scalar>, max: Option<Scalar>) -> Platform {
    Platform {
        family: family.to_ascii_lowercase(),
        min_version: min.map(|Scalar(v)| v),
        max_version: max.map(|Scalar(v)| v),
    }
}

/// `references` as compact JSON text (a tree of maps costs several times as much per rule);
/// none is an empty object.
pub(super) fn references_json(
    references: Option<serde_json::Value>,
) -> Result<Box<serde_json::value::RawValue>, String> {
    serde_json::value::to_raw_value(
        &references.unwrap_or_else(|| serde_json::Value::Object(Default::default())),
    )
    .map_err(|err| format!("`references` cannot be represented as JSON: {err}"))
}

/// A list as kept for the whole run: it grew while parsing, so its spare room is dropped.
pub(super) fn exact(mut list: Vec<String>) -> Vec<String> {
    list.shrink_to_fit();
    list
}

fn build_expr(raw: RawCheck) -> Result<CheckExpr, String> {
    if let Some(children) = raw.checks {
        return build_each(children, |node| build_expr(*node.0)).map(CheckExpr::All);
    }
    if let Some(children) = raw.any {
        return build_each(children, |node| build_expr(*node.0)).map(CheckExpr::Any);
    }
    build_check(raw).map(|check| CheckExpr::Leaf(Box::new(check)))
}

/// `build` over `nodes`, into a list of its own. `collect` would reuse the raw list's
/// allocation, over a kilobyte per raw check, for the whole run.
fn build_each(
    nodes: Vec<CheckNode>,
    mut build: impl FnMut(CheckNode) -> Result<CheckExpr, String>,
) -> Result<Vec<CheckExpr>, String> {
    let mut built = Vec::with_capacity(nodes.len());
    for node in nodes {
        built.push(build(node)?);
    }
    Ok(built)
}

fn compile(what: &str, pattern: &str) -> Result<SharedRegex, String> {
    compile_cached(what, pattern, false)
}

fn compile_multiline(what: &str, pattern: &str) -> Result<SharedRegex, String> {
    compile_cached(what, pattern, true)
}

/// Compiled regexes by (pattern, multi-line), shared by every loading thread. Packs repeat
/// patterns (`stop_at` for sshd Match blocks, `(?i)no`), compiling is costly, and one shared
/// `Regex` is smaller than clones (each clone gets its own cache pool).
static REGEXES: std::sync::LazyLock<std::sync::Mutex<HashMap<(String, bool), SharedRegex>>> =
    std::sync::LazyLock::new(Default::default);

fn compile_cached(what: &str, pattern: &str, multi_line: bool) -> Result<SharedRegex, String> {
    let key = (pattern.to_owned(), multi_line);
    let cache = || {
        REGEXES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(regex) = cache().get(&key) {
        return Ok(regex.clone());
    }
    // Compiled outside the lock: another thread may compile the same pattern meanwhile, and
    // the first one stored wins.
    let regex = regex::RegexBuilder::new(pattern)
        .multi_line(multi_line)
        .build()
        .map_err(|err| format!("`{what}` is not a valid regex: {err}"))?;
    Ok(cache()
        .entry(key)
        .or_insert_with(|| SharedRegex::new(regex))
        .clone())
}

fn one_of<T: Copy>(what: &str, value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<_> = choices.iter().map(|(n, _)| *n).collect();
            format!(
                "`{what}` must be one of {}, not `{value}`",
                names.join(", ")
            )
        })
}

fn missing_mode(value: Option<&str>, allowed: &[(&str, Missing)]) -> Result<Missing, String> {
    value.map_or(Ok(Missing::Fail), |v| one_of("missing", v, allowed))
}

fn expectation(expected: Option<Scalar>, comparator: Option<&str>) -> Result<Expectation, String> {
    let expected = expected.map(|Scalar(v)| v).unwrap_or_default();
    let comparator = match comparator.unwrap_or("==") {
        "==" => Comparator::Eq,
        "!=" => Comparator::Ne,
        "<" => Comparator::Lt,
        "<=" => Comparator::Le,
        ">" => Comparator::Gt,
        ">=" => Comparator::Ge,
        "contains" => Comparator::Contains,
        "regex" => Comparator::Regex(compile("expected", &format!("^(?:{expected})$"))?),
        other => {
            return Err(format!(
                "unknown comparator `{other}` (known: ==, !=, <, <=, >, >=, regex, contains)"
            ));
        }
    };
    let numeric = matches!(
        comparator,
        Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge
    );
    if numeric && expected.trim().parse::<f64>().is_err() {
        return Err(format!(
            "comparator `{}` needs a numeric `expected`, not `{expected}`",
            comparator.symbol()
        ));
    }
    Ok(Expectation {
        expected,
        comparator,
        case_insensitive: false,
    })
}

/// Seconds as a number (`30`) or with a unit (`30s`, `2m`).
fn timeout_ms(value: Option<Scalar>) -> Result<u64, String> {
    let Some(Scalar(text)) = value else {
        return Ok(crate::defaults::COMMAND_TIMEOUT_MS);
    };
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        _ => {
            return Err(format!(
                "`timeout` must look like 30, 30s or 2m, not `{text}`"
            ));
        }
    };
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("`timeout` must look like 30, 30s or 2m, not `{text}`"))?;
    if amount == 0 {
        return Err("`timeout` must be greater than zero".into());
    }
    Ok(amount.saturating_mul(scale))
}

pub(super) fn build_check(raw: RawCheck) -> Result<Check, String> {
    let method = raw.method.clone().unwrap_or_default();
    let first_path = || {
        raw.path
            .clone()
            .and_then(|OneOrMany(paths)| paths.into_iter().next())
            .unwrap_or_default()
    };
    let single_path = || match &raw.path {
        Some(OneOrMany(paths)) if paths.len() > 1 => {
            Err(format!("method `{method}` takes one `path`, not a list"))
        }
        _ => Ok(first_path()),
    };
    let name = raw.name.clone().unwrap_or_default();
    let key = raw.key.clone().unwrap_or_default();
    let check = match method.as_str() {
        "command" => Check::Command(CommandCheck {
            run: raw.run.clone().unwrap_or_default(),
            expected_exit: raw.expected_exit.unwrap_or(0),
            expected_stdout: raw.expected_stdout.clone(),
            stdout_regex: raw
                .stdout_regex
                .as_deref()
                .map(|p| compile_multiline("stdout_regex", p))
                .transpose()?,
            not_assessable_exit: raw.not_assessable_exit,
            timeout_ms: timeout_ms(raw.timeout.clone())?,
            stdout_empty: match raw.stdout_empty {
                Some(true) if raw.expected_stdout.is_some() || raw.stdout_regex.is_some() => {
                    return Err(
                        "`stdout_empty: true` contradicts `expected_stdout`/`stdout_regex`".into(),
                    );
                }
                other => other.unwrap_or(false),
            },
        }),
        "file_exists" => Check::FileExists {
            path: single_path()?,
        },
        "file_absent" => Check::FileAbsent {
            path: single_path()?,
        },
        "file_permission" => Check::FilePermission(FilePermissionCheck {
            path: single_path()?,
            mode: raw
                .mode
                .as_ref()
                .map(|ModeText(text)| permission_mode(text))
                .transpose()?,
            owner: raw.owner.clone(),
            group: raw.group.clone(),
            exact_mode: false,
            follow_symlinks: true,
            missing: missing_mode(
                raw.missing.as_deref(),
                &[
                    ("fail", Missing::Fail),
                    ("pass", Missing::Pass),
                    ("skip", Missing::Skip),
                ],
            )?,
        }),
        "file_content" => {
            let (needle, present) = match (&raw.contains, &raw.not_contains) {
                (Some(needle), _) => (needle.clone(), true),
                (None, Some(needle)) => (needle.clone(), false),
                (None, None) => {
                    return Err("file_content needs `contains` or `not_contains`".into());
                }
            };
            Check::FileContent {
                path: single_path()?,
                needle,
                present,
                any_line: false,
            }
        }
        "file_content_match" => Check::FileContentMatch {
            path: single_path()?,
            pattern: compile_multiline("pattern", raw.pattern.as_deref().unwrap_or_default())?,
            expect_match: one_of(
                "expect",
                raw.expect.as_deref().unwrap_or("match"),
                &[("match", true), ("no_match", false)],
            )?,
            includes: raw
                .includes
                .as_deref()
                .map(|value| one_of("includes", value, &[("sudo", Includes::Sudo)]))
                .transpose()?,
        },
        "config_value" => {
            let missing = missing_mode(
                raw.missing.as_deref(),
                &[("fail", Missing::Fail), ("pass", Missing::Pass)],
            )?;
            let delimiter = match raw.delimiter.as_deref() {
                None | Some(" ") | Some("whitespace") => Delimiter::Whitespace,
                Some(text) => {
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Delimiter::Char(c),
                        _ => {
                            return Err(format!(
                                "`delimiter` must be one character (or omitted for whitespace), not `{text}`"
                            ));
                        }
                    }
                }
            };
            let paths = raw.path.clone().map(|OneOrMany(p)| p).unwrap_or_default();
            let dropins = dropins(&raw, &paths)?;
            let default_pattern = if dropins.is_some() {
                DROPIN_PATTERN
            } else {
                "*"
            };
            let scan_pattern = raw
                .scan_pattern
                .clone()
                .unwrap_or_else(|| default_pattern.into());
            check_glob(&scan_pattern)?;
            // sshd keeps the first value it reads; the other tools the last.
            let default_occurrence = match dropins.as_ref().map(|d| d.order) {
                Some(DropInOrder::Sshd) => "first",
                _ => "last",
            };
            Check::ConfigValue(ConfigValueCheck {
                paths,
                dropins,
                scan_pattern,
                key,
                // Without `expected`, the check asserts that the key is set at all.
                expectation: match raw.expected.clone() {
                    Some(expected) => Some(expectation(Some(expected), raw.comparator.as_deref())?),
                    None => None,
                },
                delimiter,
                case_insensitive_key: raw.case_insensitive_key.unwrap_or(false),
                occurrence: one_of(
                    "occurrence",
                    raw.occurrence.as_deref().unwrap_or(default_occurrence),
                    &[("first", Occurrence::First), ("last", Occurrence::Last)],
                )?,
                missing,
                stop_at: raw
                    .stop_at
                    .as_deref()
                    .map(|p| compile("stop_at", p))
                    .transpose()?,
                keep_quotes: false,
                bare_key_is_empty: false,
            })
        }
        "config_line" => {
            let scan_pattern = raw
                .scan_pattern
                .clone()
                .unwrap_or_else(|| DROPIN_PATTERN.into());
            check_glob(&scan_pattern)?;
            Check::ConfigLine(ConfigLineCheck {
                paths: raw.paths.clone().map(|OneOrMany(p)| p).unwrap_or_default(),
                scan_pattern,
                pattern: compile("pattern", raw.pattern.as_deref().unwrap_or_default())?,
                expect_match: one_of(
                    "expect",
                    raw.expect.as_deref().unwrap_or("match"),
                    &[("match", true), ("no_match", false)],
                )?,
            })
        }
        "accounts" => Check::Accounts(accounts(&raw)?),
        "sshd_effective_config" => Check::SshdEffectiveConfig {
            key: key.to_ascii_lowercase(),
            expectation: expectation(raw.expected.clone(), raw.comparator.as_deref())?,
            first_wins: false,
            failure_fails: false,
        },
        "sysctl_value" => Check::SysctlValue {
            key: names::sysctl_key(&key)?,
            expectation: expectation(raw.expected.clone(), raw.comparator.as_deref())?,
            persisted: raw.persisted.unwrap_or(false),
        },
        "package_state" => Check::PackageState {
            name: names::package(&name)?,
            present: one_of(
                "state",
                raw.state.as_deref().unwrap_or("present"),
                &[("present", true), ("absent", false)],
            )?,
        },
        "service_state" => Check::ServiceState(ServiceStateCheck {
            unit: names::unit(&name)?,
            enabled: raw.enabled,
            active: raw.active,
            masked: raw.masked,
            installed: raw.installed,
            wanted_by: raw.wanted_by.as_deref().map(names::unit).transpose()?,
            static_counts_enabled: false,
        }),
        "kernel_module_state" => Check::KernelModuleState {
            name: names::kernel_module(&name)?,
            state: one_of(
                "state",
                raw.state.as_deref().unwrap_or_default(),
                &[
                    ("disabled", ModuleState::Disabled),
                    ("blacklisted", ModuleState::Blacklisted),
                    ("not_loaded", ModuleState::NotLoaded),
                    ("not_loadable", ModuleState::NotLoadable),
                ],
            )?,
            unshipped_passes: false,
        },
        "mount_option" => Check::MountOption(MountOptionCheck {
            mount_point: raw.mount_point.clone().unwrap_or_default(),
            options: raw.options.clone().unwrap_or_default(),
            in_fstab: raw.in_fstab.unwrap_or(false),
            missing: missing_mode(
                raw.missing.as_deref(),
                &[
                    ("fail", Missing::Fail),
                    ("skip", Missing::Skip),
                    ("pass", Missing::Pass),
                ],
            )?,
            if_mounted: raw.if_mounted.unwrap_or(false),
        }),
        "grub_parameter" => Check::GrubParameter {
            name,
            default_grub_only: false,
            value: raw.value.clone().map(|Scalar(v)| v),
            present: one_of(
                "state",
                raw.state.as_deref().unwrap_or("present"),
                &[("present", true), ("absent", false)],
            )?,
        },
        "audit_rule_exists" => Check::AuditRuleExists(match (&raw.key, &raw.rule) {
            (Some(key), _) => AuditMatch::Key(key.clone()),
            (None, Some(rule)) => AuditMatch::Rule(normalise_whitespace(rule)),
            (None, None) => return Err("audit_rule_exists needs `key` or `rule`".into()),
        }),
        "set_compare" => Check::SetCompare {
            observed_command: raw.observed_command.clone().unwrap_or_default(),
            authorized: raw.authorized.clone().unwrap_or_default(),
            alias_separator: None,
            empty_authorized_skips: false,
            equal: one_of(
                "mode",
                raw.mode.as_ref().map_or("subset", |ModeText(m)| m.as_str()),
                &[("subset", false), ("equal", true)],
            )?,
            timeout_ms: timeout_ms(raw.timeout.clone())?,
        },
        "systemd_target" => Check::SystemdTarget {
            expected: scalar_text(&raw.expected),
            equal: true,
        },
        "selinux_state" => Check::SelinuxState {
            running_only: false,
            expected: one_of(
                "expected",
                &scalar_text(&raw.expected),
                &[
                    ("enforcing", "enforcing"),
                    ("permissive", "permissive"),
                    ("disabled", "disabled"),
                ],
            )?
            .to_owned(),
        },
        "apparmor_state" => Check::ApparmorState {
            expected: one_of(
                "expected",
                &scalar_text(&raw.expected),
                &[("enabled", "enabled"), ("disabled", "disabled")],
            )?
            .to_owned(),
        },
        other => return Err(format!("unknown method `{other}`")),
    };
    Ok(check)
}

/// The file names drop-in directories are read for, unless a rule says otherwise.
const DROPIN_PATTERN: &str = "*.conf";

fn check_glob(pattern: &str) -> Result<(), String> {
    globset::Glob::new(pattern)
        .map(drop)
        .map_err(|err| format!("`scan_pattern` is not a valid glob: {err}"))
}

/// `dropins: systemd|sshd|plain` and/or `dropin_dirs: [...]` on a config_value. Without
/// `dropin_dirs`, a preset derives its directories from the main file (see README).
fn dropins(raw: &RawCheck, paths: &[String]) -> Result<Option<DropIns>, String> {
    if raw.dropins.is_none() && raw.dropin_dirs.is_none() {
        return Ok(None);
    }
    let [main] = paths else {
        return Err("with drop-ins, `path` is the one main file".into());
    };
    let order = one_of(
        "dropins",
        raw.dropins.as_deref().unwrap_or("plain"),
        &[
            ("plain", DropInOrder::Plain),
            ("systemd", DropInOrder::Systemd),
            ("sshd", DropInOrder::Sshd),
        ],
    )?;
    let dirs = match &raw.dropin_dirs {
        Some(dirs) if dirs.is_empty() => return Err("`dropin_dirs` is empty".into()),
        Some(dirs) => dirs.clone(),
        None if order == DropInOrder::Systemd => systemd_dropin_dirs(main),
        None => vec![format!("{main}.d")],
    };
    if let Some(dir) = dirs.iter().chain(paths).find(|d| !d.starts_with('/')) {
        return Err(format!("`{dir}` is not an absolute path"));
    }
    Ok(Some(DropIns { order, dirs }))
}

/// systemd's drop-in directories for a file under /etc: the same relative path + `.d` under
/// /etc, /run, /usr/local/lib and /usr/lib, in that (priority) order.
fn systemd_dropin_dirs(main: &str) -> Vec<String> {
    match main.strip_prefix("/etc/") {
        Some(relative) => ["/etc", "/run", "/usr/local/lib", "/usr/lib"]
            .iter()
            .map(|base| format!("{base}/{relative}.d"))
            .collect(),
        None => vec![format!("{main}.d")],
    }
}

fn accounts(raw: &RawCheck) -> Result<AccountsCheck, String> {
    let name = raw.predicate.as_deref().unwrap_or_default();
    let predicate = one_of("predicate", name, &AccountPredicate::ALL)?;
    let allowed: &[&str] = match predicate {
        p if p.shadow_age_field().is_some() => &["expected", "comparator"],
        AccountPredicate::HomeDirsMode => &["mode"],
        AccountPredicate::NoForbiddenDotFiles => &["files"],
        AccountPredicate::GroupEmpty => &["group"],
        _ => &[],
    };
    let given = [
        ("expected", raw.expected.is_some()),
        ("comparator", raw.comparator.is_some()),
        ("mode", raw.mode.is_some()),
        ("files", raw.files.is_some()),
        ("group", raw.group.is_some()),
    ];
    if let Some((param, _)) = given
        .iter()
        .find(|(param, set)| *set && !allowed.contains(param))
    {
        return Err(format!(
            "`{param}` is not a parameter of accounts predicate `{name}`"
        ));
    }
    let expectation = match predicate.shadow_age_field() {
        Some(_) if raw.expected.is_none() => {
            return Err(format!("accounts predicate `{name}` needs `expected`"));
        }
        Some(_) => Some(expectation(
            raw.expected.clone(),
            raw.comparator.as_deref(),
        )?),
        None => None,
    };
    if predicate == AccountPredicate::GroupEmpty && raw.group.is_none() {
        return Err("accounts predicate `group_empty` needs `group`".into());
    }
    Ok(AccountsCheck {
        predicate,
        expectation,
        mode: raw
            .mode
            .as_ref()
            .map(|ModeText(text)| permission_mode(text))
            .transpose()?
            .unwrap_or(DEFAULT_HOME_MODE),
        files: raw.files.clone().unwrap_or_else(|| {
            DEFAULT_FORBIDDEN_DOT_FILES
                .iter()
                .map(|name| (*name).to_owned())
                .collect()
        }),
        group: raw.group.clone().unwrap_or_default(),
    })
}

fn scalar_text(value: &Option<Scalar>) -> String {
    value
        .as_ref()
        .map(|Scalar(v)| v.clone())
        .unwrap_or_default()
}

pub fn normalise_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
