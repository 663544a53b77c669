//! The `ModelMetrics` protocol buffer that NAS-Bench-101 stores (base64) in
//! each TFRecord record, decoded with prost's derive.
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

/// The wire format of `ModelMetrics`, decoded by prost; converted to the
/// public types so that prost stays out of this crate's API.
mod wire {
    /// `ModelMetrics` as the `.proto` file declares it.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct ModelMetrics {
        #[prost(message, repeated, tag = "1")]
        pub evaluation_data: Vec<EvaluationData>,
        #[prost(int32, optional, tag = "2")]
        pub trainable_parameters: Option<i32>,
        #[prost(double, optional, tag = "3")]
        pub total_time: Option<f64>,
    }

    /// `EvaluationData` as the `.proto` file declares it.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct EvaluationData {
        #[prost(double, optional, tag = "1")]
        pub current_epoch: Option<f64>,
        #[prost(double, optional, tag = "2")]
        pub training_time: Option<f64>,
        #[prost(double, optional, tag = "3")]
        pub train_accuracy: Option<f64>,
        #[prost(double, optional, tag = "4")]
        pub validation_accuracy: Option<f64>,
        #[prost(double, optional, tag = "5")]
        pub test_accuracy: Option<f64>,
        #[prost(string, optional, tag = "6")]
        pub checkpoint_path: Option<String>,
    }
}

impl Nb101ModelMetrics {
    /// Decodes the protobuf wire format; the error names the message and
    /// field where decoding failed (prost reports no byte offset).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, prost::DecodeError> {
        let metrics = <wire::ModelMetrics as prost::Message>::decode(bytes)?;
        Ok(Self {
            evaluation_data: metrics
                .evaluation_data
                .into_iter()
                .map(|d| Nb101EvaluationData {
                    current_epoch: d.current_epoch.unwrap_or_default(),
                    training_time: d.training_time.unwrap_or_default(),
                    train_accuracy: d.train_accuracy.unwrap_or_default(),
                    validation_accuracy: d.validation_accuracy.unwrap_or_default(),
                    test_accuracy: d.test_accuracy.unwrap_or_default(),
                    checkpoint_path: d.checkpoint_path.unwrap_or_default(),
                })
                .collect(),
            trainable_parameters: metrics.trainable_parameters.unwrap_or_default(),
            total_time: metrics.total_time.unwrap_or_default(),
        })
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
    fn errors_name_the_message_and_field() {
        // prost reports where (message and field) and what, not the byte offset.
        // A double cut short.
        let mut bytes = vec![tag(3, 1)];
        bytes.extend([0u8; 5]);
        let error = Nb101ModelMetrics::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("ModelMetrics.total_time") && error.contains("buffer underflow"),
            "{error}"
        );
        // A field with the wrong wire type, inside the nested message.
        let bytes = vec![tag(1, 2), 2, tag(4, 0), 1];
        let error = Nb101ModelMetrics::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("EvaluationData.validation_accuracy")
                && error.contains("invalid wire type: Varint (expected SixtyFourBit)"),
            "{error}"
        );
        // An unterminated varint.
        let error = Nb101ModelMetrics::decode(&[tag(2, 0), 0x80])
            .unwrap_err()
            .to_string();
        assert!(error.contains("varint"), "{error}");
    }
}
