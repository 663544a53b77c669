//! The `ModelMetrics` protocol buffer that NAS-Bench-101 stores (base64) in
//! each TFRecord record, decoded by hand from its wire format.
//!
//! Message layout (proto2, `nasbench/lib/model_metrics.proto`):
//!
//! ```text
//! ModelMetrics   { repeated EvaluationData evaluation_data = 1;
//!                  optional int32 trainable_parameters = 2; optional double total_time = 3; }
//! EvaluationData { optional double current_epoch = 1; optional double training_time = 2;
//!                  optional double train_accuracy = 3; optional double validation_accuracy = 4;
//!                  optional double test_accuracy = 5; optional string checkpoint_path = 6; }
//! ```
//!
//! Absent optional fields take the proto2 default (0 or the empty string).
//! Unknown fields are skipped, as protobuf parsers do.

/// One evaluation of a training run: NB101 stores three per run, at the start
/// (epoch 0), halfway and at the end of training.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nb101EvaluationData {
    /// Epoch at which the evaluation happened.
    pub current_epoch: f64,
    /// Training time up to this point, seconds (evaluation time excluded).
    pub training_time: f64,
    /// Accuracy (fraction) on 10,000 fixed training images.
    pub train_accuracy: f64,
    /// Accuracy (fraction) on the 10,000 held-out validation images.
    pub validation_accuracy: f64,
    /// Accuracy (fraction) on the 10,000 test images.
    pub test_accuracy: f64,
    /// Where the checkpoint was saved (often empty).
    pub checkpoint_path: String,
}

/// The metrics of one training run of one cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nb101ModelMetrics {
    /// The evaluations in order: start, halfway, end of training.
    pub evaluation_data: Vec<Nb101EvaluationData>,
    /// Number of trainable parameters.
    pub trainable_parameters: i32,
    /// Total time of training and evaluation, seconds.
    pub total_time: f64,
}

/// A position in the encoded message and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError {
    /// Byte offset in the (outermost) message.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// Protobuf wire types used here.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const FIXED32: u8 = 5;

/// A cursor over an encoded message; offsets count from `base`.
struct Wire<'a> {
    bytes: &'a [u8],
    position: usize,
    base: usize,
}

impl<'a> Wire<'a> {
    fn error(&self, message: impl Into<String>) -> WireError {
        WireError {
            offset: self.base + self.position,
            message: message.into(),
        }
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let start = self.position;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.position) else {
                self.position = start;
                return Err(self.error("a varint, found the end of the message (truncated?)"));
            };
            self.position += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.position = start;
        Err(self.error("a varint of at most 10 bytes"))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], WireError> {
        let end = self
            .position
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.error(format!(
                "{n} bytes of {what}, found {} (truncated?)",
                self.bytes.len() - self.position
            )));
        };
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn double(&mut self, what: &str) -> Result<f64, WireError> {
        let bytes = self.take(8, what)?;
        Ok(f64::from_le_bytes(bytes.try_into().unwrap_or_default()))
    }

    /// The next field's number and wire type, with the tag's offset.
    fn tag(&mut self) -> Result<(u64, u8, usize), WireError> {
        let offset = self.position;
        let tag = self.varint()?;
        let wire_type = (tag & 7) as u8;
        let field = tag >> 3;
        if field == 0 {
            self.position = offset;
            return Err(self.error("a field number above 0"));
        }
        Ok((field, wire_type, offset))
    }

    fn skip(&mut self, wire_type: u8) -> Result<(), WireError> {
        match wire_type {
            VARINT => self.varint().map(|_| ()),
            FIXED64 => self.take(8, "a fixed64").map(|_| ()),
            LENGTH_DELIMITED => {
                let n = self.length()?;
                self.take(n, "a length-delimited field").map(|_| ())
            }
            FIXED32 => self.take(4, "a fixed32").map(|_| ()),
            other => Err(self.error(format!("a known wire type (0, 1, 2 or 5), found {other}"))),
        }
    }

    fn length(&mut self) -> Result<usize, WireError> {
        let n = self.varint()?;
        usize::try_from(n).map_err(|_| self.error(format!("a length, found {n}")))
    }

    /// Fails unless `wire_type` is `expected` for `field`.
    fn expect(
        &mut self,
        field: &str,
        wire_type: u8,
        expected: u8,
        tag_offset: usize,
    ) -> Result<(), WireError> {
        if wire_type == expected {
            return Ok(());
        }
        self.position = tag_offset;
        Err(self.error(format!(
            "`{field}` with wire type {expected}, found wire type {wire_type}"
        )))
    }
}

impl Nb101ModelMetrics {
    /// Decodes the protobuf wire format.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut wire = Wire {
            bytes,
            position: 0,
            base: 0,
        };
        let mut metrics = Self::default();
        while !wire.at_end() {
            let (field, wire_type, offset) = wire.tag()?;
            match field {
                1 => {
                    wire.expect("evaluation_data", wire_type, LENGTH_DELIMITED, offset)?;
                    let n = wire.length()?;
                    let base = wire.position;
                    let inner = wire.take(n, "an EvaluationData message")?;
                    metrics
                        .evaluation_data
                        .push(Nb101EvaluationData::decode(inner, base)?);
                }
                2 => {
                    wire.expect("trainable_parameters", wire_type, VARINT, offset)?;
                    // int32 is sign-extended to 64 bits on the wire.
                    metrics.trainable_parameters = wire.varint()? as i64 as i32;
                }
                3 => {
                    wire.expect("total_time", wire_type, FIXED64, offset)?;
                    metrics.total_time = wire.double("total_time")?;
                }
                _ => wire.skip(wire_type)?,
            }
        }
        Ok(metrics)
    }
}

impl Nb101EvaluationData {
    fn decode(bytes: &[u8], base: usize) -> Result<Self, WireError> {
        let mut wire = Wire {
            bytes,
            position: 0,
            base,
        };
        let mut data = Self::default();
        const DOUBLES: [&str; 5] = [
            "current_epoch",
            "training_time",
            "train_accuracy",
            "validation_accuracy",
            "test_accuracy",
        ];
        while !wire.at_end() {
            let (field, wire_type, offset) = wire.tag()?;
            match field {
                1..=5 => {
                    let name = DOUBLES[(field - 1) as usize];
                    wire.expect(name, wire_type, FIXED64, offset)?;
                    let value = wire.double(name)?;
                    *match field {
                        1 => &mut data.current_epoch,
                        2 => &mut data.training_time,
                        3 => &mut data.train_accuracy,
                        4 => &mut data.validation_accuracy,
                        _ => &mut data.test_accuracy,
                    } = value;
                }
                6 => {
                    wire.expect("checkpoint_path", wire_type, LENGTH_DELIMITED, offset)?;
                    let n = wire.length()?;
                    let text = wire.take(n, "checkpoint_path")?;
                    data.checkpoint_path = String::from_utf8(text.to_vec())
                        .map_err(|_| wire.error("`checkpoint_path` in UTF-8"))?;
                }
                _ => wire.skip(wire_type)?,
            }
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes written by hand from the protobuf encoding rules.
    fn tag(field: u8, wire_type: u8) -> u8 {
        field << 3 | wire_type
    }

    #[test]
    fn decodes_fields_and_skips_unknown_ones() {
        let mut inner = vec![tag(1, 1)];
        inner.extend(12.0f64.to_le_bytes());
        inner.push(tag(5, 1));
        inner.extend(0.75f64.to_le_bytes());
        inner.extend([tag(6, 2), 2, b'c', b'k']);
        inner.extend([tag(9, 0), 0x96, 0x01]); // unknown varint field 9 = 150
        let mut bytes = vec![tag(1, 2), inner.len() as u8];
        bytes.extend(&inner);
        // trainable_parameters = 300 = 0xac 0x02
        bytes.extend([tag(2, 0), 0xac, 0x02]);
        bytes.push(tag(3, 1));
        bytes.extend(99.5f64.to_le_bytes());
        let metrics = Nb101ModelMetrics::decode(&bytes).unwrap();
        assert_eq!(metrics.trainable_parameters, 300);
        assert_eq!(metrics.total_time, 99.5);
        assert_eq!(metrics.evaluation_data.len(), 1);
        let data = &metrics.evaluation_data[0];
        assert_eq!((data.current_epoch, data.test_accuracy), (12.0, 0.75));
        assert_eq!(data.training_time, 0.0);
        assert_eq!(data.checkpoint_path, "ck");
    }

    #[test]
    fn errors_give_the_byte_offset() {
        // A double cut short.
        let mut bytes = vec![tag(3, 1)];
        bytes.extend([0u8; 5]);
        let error = Nb101ModelMetrics::decode(&bytes).unwrap_err();
        assert_eq!(error.offset, 1);
        assert!(
            error.message.contains("8 bytes of total_time, found 5"),
            "{error:?}"
        );
        // A field with the wrong wire type, inside the nested message.
        let bytes = vec![tag(1, 2), 2, tag(4, 0), 1];
        let error = Nb101ModelMetrics::decode(&bytes).unwrap_err();
        assert_eq!(error.offset, 2);
        assert!(
            error
                .message
                .contains("`validation_accuracy` with wire type 1"),
            "{error:?}"
        );
        // An unterminated varint.
        let error = Nb101ModelMetrics::decode(&[tag(2, 0), 0x80]).unwrap_err();
        assert!(error.message.contains("varint"), "{error:?}");
    }
}
