//! Pickles as the NATS-Bench archive holds them (dicts of `OrderedDict`s
//! with int and tuple keys), and as another implementation (serde-pickle)
//! writes them, decoded by the one pickle decoder.

use std::path::Path;

use oxinas_formats::numpy_pickle::decode_pickle;
use oxinas_formats::{FormatError, PyValue};

fn decode(bytes: &[u8]) -> Result<PyValue, FormatError> {
    decode_pickle(bytes, Path::new("archive.pickle"))
}

/// The value under `key` of a dict with any kind of keys.
fn item<'v>(value: &'v PyValue, key: &PyValue) -> &'v PyValue {
    match value {
        PyValue::Dict(items) => items
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v))
            .unwrap_or_else(|| panic!("no key {key:?}")),
        other => panic!("not a dict: {other:?}"),
    }
}

fn s(text: &str) -> PyValue {
    PyValue::Str(text.to_owned())
}

#[test]
fn decodes_ordered_dicts_as_python_pickles_them() {
    // pickle.dumps({'a': OrderedDict([(0, 1.5), (1, 2.5)]), 'b': OrderedDict([(0, 3.0)]),
    //   't': [('x', 7)], 'n': None, 'big': 2**40}, protocol=4)
    let bytes = b"\x80\x04\x95y\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(K\x00G?\xf8\x00\x00\x00\x00\x00\x00K\x01G@\x04\x00\x00\x00\x00\x00\x00u\x8c\x01b\x94h\x04)R\x94K\x00G@\x08\x00\x00\x00\x00\x00\x00s\x8c\x01t\x94]\x94\x8c\x01x\x94K\x07\x86\x94a\x8c\x01n\x94N\x8c\x03big\x94\x8a\x06\x00\x00\x00\x00\x00\x01u.";
    let top = decode(bytes).unwrap();
    let a = item(&top, &s("a"));
    assert_eq!(item(a, &PyValue::Int(1)), &PyValue::Float(2.5));
    let b = item(&top, &s("b"));
    assert_eq!(item(b, &PyValue::Int(0)), &PyValue::Float(3.0));
    assert_eq!(
        item(&top, &s("t")),
        &PyValue::List(vec![PyValue::Tuple(vec![s("x"), PyValue::Int(7)])])
    );
    assert_eq!(item(&top, &s("n")), &PyValue::None);
    assert_eq!(item(&top, &s("big")), &PyValue::Int(1 << 40));
}

#[test]
fn refuses_other_classes_and_truncation_with_the_offset() {
    let numpy = b"\x80\x04\x8c\x05numpy\x8c\x06scalar\x93)R.";
    let message = decode(numpy).unwrap_err().to_string();
    assert!(
        message.contains("unsupported class numpy.scalar"),
        "{message}"
    );
    let err = decode(b"\x80\x04}\x94(\x8c\x05ab").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("byte 7: truncated pickle, expected 5 more bytes"),
        "{message}"
    );
    assert!(matches!(
        err,
        FormatError::Truncated {
            offset: 7,
            needed: 5,
            available: 2,
            ..
        }
    ));
}

#[test]
fn reads_what_serde_pickle_writes() {
    use serde_pickle::{HashableValue as H, Value as V};
    // A run state dict shaped like the archive's: str, int and tuple keys.
    let epochs = |f: fn(i64) -> f64| V::Dict((0..12).map(|e| (H::I64(e), V::F64(f(e)))).collect());
    let run = V::Dict(
        [
            (H::String("seed".into()), V::I64(777)),
            (
                H::String("train_acc1es".into()),
                epochs(|e| 10.0 + e as f64),
            ),
            (
                H::String("latency".into()),
                V::List(vec![V::F64(0.01), V::F64(0.02)]),
            ),
            (H::String("net_state_dict".into()), V::None),
            (H::String("done".into()), V::Bool(true)),
            (
                H::String("eval_names".into()),
                V::List(vec![V::String("x-valid".into())]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let file = V::Dict(
        [(
            H::String("12".into()),
            V::Dict(
                [(
                    H::Tuple(vec![H::String("cifar10-valid".into()), H::I64(777)]),
                    run,
                )]
                .into_iter()
                .collect(),
            ),
        )]
        .into_iter()
        .collect(),
    );
    let bytes = serde_pickle::value_to_vec(&file, serde_pickle::SerOptions::new()).unwrap();
    let decoded = decode(&bytes).unwrap();
    let run = item(
        item(&decoded, &s("12")),
        &PyValue::Tuple(vec![s("cifar10-valid"), PyValue::Int(777)]),
    );
    assert_eq!(item(run, &s("seed")), &PyValue::Int(777));
    let accs = item(run, &s("train_acc1es"));
    for e in 0..12 {
        assert_eq!(
            item(accs, &PyValue::Int(e)),
            &PyValue::Float(10.0 + e as f64)
        );
    }
    assert_eq!(
        item(run, &s("latency")),
        &PyValue::List(vec![PyValue::Float(0.01), PyValue::Float(0.02)])
    );
    assert_eq!(item(run, &s("net_state_dict")), &PyValue::None);
    assert_eq!(item(run, &s("done")), &PyValue::Bool(true));
    assert_eq!(
        item(run, &s("eval_names")),
        &PyValue::List(vec![s("x-valid")])
    );
}
