//! Reading back one-hot blocks, shared by the invertible encodings.

use crate::EncodingError;

/// The position of the single 1 in `block`, which must otherwise hold 0.
///
/// `what` names the block in the error (e.g. `edge 3 (node 2 <- 1)`), so a
/// wrong vector is reported where it is wrong.
pub fn decode_one_hot(
    encoding: &'static str,
    block: &[f64],
    what: impl FnOnce() -> String,
) -> Result<usize, EncodingError> {
    let mut hot = None;
    for (position, &value) in block.iter().enumerate() {
        if value == 1.0 {
            if let Some(first) = hot {
                return Err(EncodingError::Decode {
                    encoding,
                    message: format!(
                        "{}: one entry equal to 1, found 1 at positions {first} and {position}",
                        what()
                    ),
                });
            }
            hot = Some(position);
        } else if value != 0.0 {
            return Err(EncodingError::Decode {
                encoding,
                message: format!(
                    "{}: entries 0 or 1, found {value} at position {position}",
                    what()
                ),
            });
        }
    }
    hot.ok_or_else(|| EncodingError::Decode {
        encoding,
        message: format!(
            "{}: one entry equal to 1 among {}, found none",
            what(),
            block.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hot_position_and_rejects_the_rest() {
        assert_eq!(decode_one_hot("t", &[0.0, 0.0, 1.0], String::new), Ok(2));
        let two = decode_one_hot("t", &[1.0, 1.0], || "block 7".into()).unwrap_err();
        assert!(
            two.to_string()
                .contains("block 7: one entry equal to 1, found 1 at positions 0 and 1")
        );
        let none = decode_one_hot("t", &[0.0, 0.0], || "b".into()).unwrap_err();
        assert!(none.to_string().contains("found none"), "{none}");
        let half = decode_one_hot("t", &[0.5, 0.0], || "b".into()).unwrap_err();
        assert!(
            half.to_string().contains("found 0.5 at position 0"),
            "{half}"
        );
    }
}
