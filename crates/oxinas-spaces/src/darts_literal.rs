//! A reader for the small Python-literal syntax of DARTS genotype strings and
//! NASLib compact keys: names, quoted strings, integers, brackets, commas, `=`.
//!
//! Both formats are `repr`s of Python objects, so spacing and quote style vary
//! between sources; the reader skips whitespace and accepts `'` and `"`.

use std::fmt;

/// One lexical token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A name such as `Genotype`, `normal` or `range`.
    Name(&'a str),
    /// A quoted string, without its quotes.
    Str(&'a str),
    /// A non-negative integer.
    Int(u64),
    /// One of `( ) [ ] , =`.
    Punct(char),
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(name) => write!(f, "`{name}`"),
            Token::Str(s) => write!(f, "string '{s}'"),
            Token::Int(n) => write!(f, "`{n}`"),
            Token::Punct(c) => write!(f, "`{c}`"),
        }
    }
}

/// A syntax error: what was expected, at which character.
pub(crate) type SyntaxError = String;

/// Tokens of a text, read one at a time with position-aware expectations.
pub(crate) struct LiteralReader<'a> {
    tokens: Vec<(Token<'a>, usize)>,
    next: usize,
    len: usize,
}

impl<'a> LiteralReader<'a> {
    /// Splits `text` into tokens.
    pub(crate) fn new(text: &'a str) -> Result<Self, SyntaxError> {
        let bytes = text.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                b'(' | b')' | b'[' | b']' | b',' | b'=' => {
                    tokens.push((Token::Punct(c as char), i));
                    i += 1;
                }
                b'\'' | b'"' => {
                    let start = i + 1;
                    let end = bytes[start..]
                        .iter()
                        .position(|&b| b == c)
                        .map(|n| start + n)
                        .ok_or_else(|| {
                            format!(
                                "a closing {} for the string opened at character {i}",
                                c as char
                            )
                        })?;
                    tokens.push((Token::Str(&text[start..end]), i));
                    i = end + 1;
                }
                b'0'..=b'9' => {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    let value = text[start..i]
                        .parse()
                        .map_err(|_| format!("a small integer at character {start}"))?;
                    tokens.push((Token::Int(value), start));
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    tokens.push((Token::Name(&text[start..i]), start));
                }
                _ => {
                    let found = text[i..].chars().next().unwrap_or('?');
                    return Err(format!(
                        "a name, string, integer or one of `( ) [ ] , =` at character {i}, found `{found}`"
                    ));
                }
            }
        }
        Ok(Self {
            tokens,
            next: 0,
            len: text.len(),
        })
    }

    /// The next token without consuming it.
    pub(crate) fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.next).map(|(t, _)| *t)
    }

    /// Character offset of the next token (the text length at the end).
    pub(crate) fn offset(&self) -> usize {
        self.tokens.get(self.next).map_or(self.len, |(_, o)| *o)
    }

    /// Describes the next token for an error message.
    fn found(&self) -> String {
        match self.peek() {
            Some(token) => format!("found {token}"),
            None => "found the end of the text".to_owned(),
        }
    }

    /// An error saying `what` was expected at the current position.
    pub(crate) fn expected(&self, what: &str) -> SyntaxError {
        format!("{what} at character {}, {}", self.offset(), self.found())
    }

    /// Consumes the punctuation `c`; `what` names it in context.
    pub(crate) fn punct(&mut self, c: char, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(Token::Punct(c)) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Consumes `c` if it comes next.
    pub(crate) fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(Token::Punct(c));
        if hit {
            self.next += 1;
        }
        hit
    }

    /// Consumes a name.
    pub(crate) fn name(&mut self, what: &str) -> Result<&'a str, SyntaxError> {
        match self.peek() {
            Some(Token::Name(name)) => {
                self.next += 1;
                Ok(name)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Consumes a quoted string.
    pub(crate) fn string(&mut self, what: &str) -> Result<&'a str, SyntaxError> {
        match self.peek() {
            Some(Token::Str(s)) => {
                self.next += 1;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Consumes an integer.
    pub(crate) fn int(&mut self, what: &str) -> Result<u64, SyntaxError> {
        match self.peek() {
            Some(Token::Int(n)) => {
                self.next += 1;
                Ok(n)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Fails unless every token has been consumed.
    pub(crate) fn finish(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.expected("the end of the text")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tokens_with_either_quote_and_any_spacing() {
        let mut r = LiteralReader::new("f( 'a',\n\"b\" ,12)").unwrap();
        assert_eq!(r.name("f").unwrap(), "f");
        r.punct('(', "`(`").unwrap();
        assert_eq!(r.string("a").unwrap(), "a");
        assert!(r.eat(','));
        assert_eq!(r.string("b").unwrap(), "b");
        r.punct(',', "`,`").unwrap();
        assert_eq!(r.int("n").unwrap(), 12);
        let err = r.punct(']', "`]` closing the list").unwrap_err();
        assert_eq!(err, "`]` closing the list at character 15, found `)`");
        r.punct(')', "`)`").unwrap();
        r.finish().unwrap();
        assert_eq!(
            r.int("an input").unwrap_err(),
            "an input at character 16, found the end of the text"
        );
    }

    #[test]
    fn lexical_errors_say_where() {
        assert_eq!(
            LiteralReader::new("('abc, 1)").err().unwrap(),
            "a closing ' for the string opened at character 1"
        );
        assert!(
            LiteralReader::new("(1; 2)")
                .err()
                .unwrap()
                .contains("at character 2, found `;`")
        );
    }
}
