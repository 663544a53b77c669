//! The string format of a declared space's architectures: the choices'
//! values joined by a separator, or written into a template.

/// Written for a choice that is inactive (its condition does not hold).
pub const INACTIVE_TEXT: &str = "-";

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Literal(String),
    Choice(usize),
}

/// How architectures are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArchFormat {
    /// Every choice's value in declaration order, joined by the separator.
    Separator(String),
    /// A template naming every choice once as `{name}`.
    Template(Vec<Piece>),
}

impl ArchFormat {
    /// Splits `template` into literals and placeholders of the choices
    /// `names` (in choice order); every choice must appear exactly once.
    pub(crate) fn template(template: &str, names: &[&str]) -> Result<Self, String> {
        let index = |name: &str| names.iter().position(|n| *n == name);
        let mut pieces = Vec::new();
        let mut seen = vec![false; names.len()];
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let close = rest
                        .find('}')
                        .ok_or_else(|| format!("a `}}` closing the placeholder `{rest}`"))?;
                    let name = &rest[1..close];
                    let at = index(name)
                        .ok_or_else(|| format!("`{{{name}}}` to name a declared choice"))?;
                    if seen[at] {
                        return Err(format!("`{{{name}}}` only once"));
                    }
                    if matches!(pieces.last(), Some(Piece::Choice(_))) {
                        return Err(format!(
                            "text between two placeholders, before `{{{name}}}` (adjacent values could not be told apart)"
                        ));
                    }
                    seen[at] = true;
                    pieces.push(Piece::Choice(at));
                    rest = &rest[close + 1..];
                }
                Some(open) => {
                    pieces.push(Piece::Literal(rest[..open].to_owned()));
                    rest = &rest[open..];
                }
                None => {
                    if rest.contains('}') {
                        return Err("no `}` outside a placeholder".to_owned());
                    }
                    pieces.push(Piece::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        match seen.iter().position(|s| !s) {
            Some(missing) => Err(format!("a placeholder `{{{}}}`", names[missing])),
            None => Ok(ArchFormat::Template(pieces)),
        }
    }

    /// Writes the texts of every choice (in choice order).
    pub(crate) fn write(&self, texts: &[&str]) -> String {
        match self {
            ArchFormat::Separator(separator) => texts.join(separator),
            ArchFormat::Template(pieces) => pieces
                .iter()
                .map(|p| match p {
                    Piece::Literal(text) => text.as_str(),
                    Piece::Choice(at) => texts[*at],
                })
                .collect(),
        }
    }

    /// Reads the text of every choice. For templates, `allowed(i, text)`
    /// says whether choice `i` may be written `text`: placeholders are
    /// matched with backtracking, so values that contain a template's
    /// literal text are still read right.
    pub(crate) fn read<'t>(
        &self,
        text: &'t str,
        num_choices: usize,
        allowed: &dyn Fn(usize, &str) -> bool,
    ) -> Result<Vec<&'t str>, String> {
        match self {
            ArchFormat::Separator(separator) => {
                let tokens: Vec<&str> = text.split(separator.as_str()).collect();
                if tokens.len() == num_choices {
                    Ok(tokens)
                } else {
                    Err(format!(
                        "{num_choices} values separated by `{separator}`, found {}",
                        tokens.len()
                    ))
                }
            }
            ArchFormat::Template(pieces) => {
                let mut out = vec![""; num_choices];
                if match_pieces(pieces, text, allowed, &mut out) {
                    Ok(out)
                } else {
                    Err(format!(
                        "text of the form `{}`",
                        self.write(&vec!["{..}"; num_choices])
                    ))
                }
            }
        }
    }
}

fn match_pieces<'t>(
    pieces: &[Piece],
    text: &'t str,
    allowed: &dyn Fn(usize, &str) -> bool,
    out: &mut [&'t str],
) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    match first {
        Piece::Literal(literal) => text
            .strip_prefix(literal.as_str())
            .is_some_and(|tail| match_pieces(rest, tail, allowed, out)),
        Piece::Choice(at) => {
            // Candidate values are the prefixes of `text` that the next
            // literal (or the end) can follow.
            let next = match rest.first() {
                Some(Piece::Literal(l)) => Some(l.as_str()),
                _ => None,
            };
            let mut ends: Vec<usize> = match next {
                Some(literal) => text.match_indices(literal).map(|(i, _)| i).collect(),
                None => vec![text.len()],
            };
            ends.sort_unstable();
            for end in ends {
                let candidate = &text[..end];
                if !allowed(*at, candidate) {
                    continue;
                }
                out[*at] = candidate;
                if match_pieces(rest, &text[end..], allowed, out) {
                    return true;
                }
            }
            false
        }
    }
}
