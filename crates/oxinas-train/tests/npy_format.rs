//! NumPy `.npy` arrays as image data sets, on files written here the way
//! `numpy.save` writes them.

use std::path::Path;

use oxinas_core::DataError;
use oxinas_formats::{ArrayData, NdArray};
use oxinas_spaces::Nb201Arch;
use oxinas_train::*;

/// A `.npy` file as `numpy.save` writes it: version `major`, the header
/// padded with spaces to a multiple of 64 bytes and ended by a newline.
fn npy_bytes(major: u8, descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let fortran = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
    let prefix = if major == 1 { 10 } else { 12 };
    while (prefix + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([major, 0]);
    if major == 1 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn i64_bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Parses through a file, as the trainer reads them.
fn parse(bytes: &[u8]) -> Result<NdArray, DataError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npy");
    std::fs::write(&path, bytes).unwrap();
    read_npy(&path)
}

#[test]
fn integer_and_float_arrays_parse_in_every_version() {
    let labels = parse(&npy_bytes(1, "<i8", false, &[3], &i64_bytes(&[2, -1, 7]))).unwrap();
    assert_eq!(labels.shape, vec![3]);
    assert_eq!(labels.data, ArrayData::I64(vec![2, -1, 7]));
    let bytes: Vec<u8> = [-3i16, 300].iter().flat_map(|v| v.to_le_bytes()).collect();
    let small = parse(&npy_bytes(2, "<i2", false, &[2], &bytes)).unwrap();
    assert_eq!(small.data, ArrayData::I16(vec![-3, 300]));
    let floats = parse(&npy_bytes(
        3,
        "<f4",
        false,
        &[1, 2],
        &f32_bytes(&[0.5, 1.0]),
    ))
    .unwrap();
    assert_eq!(
        (floats.shape.clone(), floats.data),
        (vec![1, 2], ArrayData::F32(vec![0.5, 1.0]))
    );
    let bytes = parse(&npy_bytes(1, "|u1", false, &[2, 2], &[0, 1, 254, 255])).unwrap();
    assert_eq!(bytes.data, ArrayData::U8(vec![0, 1, 254, 255]));
}

#[test]
fn malformed_npy_files_are_typed_errors_naming_what_was_expected() {
    let message = |bytes: Vec<u8>| parse(&bytes).unwrap_err().to_string();
    let truncated = npy_bytes(1, "<f4", false, &[2, 2], &f32_bytes(&[0.0, 1.0, 0.5]));
    let err = message(truncated);
    assert!(
        err.contains("x.npy") && err.contains("16 bytes") && err.contains("found 12"),
        "{err}"
    );
    // Fortran order and big-endian data, once refused, are read (by oxinas-formats).
    let column_major = f32_bytes(&[0.0, 2.0, 1.0, 3.0]);
    let fortran = parse(&npy_bytes(1, "<f4", true, &[2, 2], &column_major)).unwrap();
    assert_eq!(fortran.data, ArrayData::F32(vec![0.0, 1.0, 2.0, 3.0]));
    let big = parse(&npy_bytes(1, ">f4", false, &[1], &1.5f32.to_be_bytes())).unwrap();
    assert_eq!(big.data, ArrayData::F32(vec![1.5]));
    let err = message(npy_bytes(1, "<c8", false, &[1], &[0; 8]));
    assert!(err.contains("<c8"), "{err}");
    let err = message(b"PK\x03\x04 not an npy file".to_vec());
    assert!(err.contains("\\x93NUMPY"), "{err}");
}

#[test]
fn image_layouts_become_channel_major_datasets() {
    let labels_path = Path::new("labels.npy");
    let images_path = Path::new("images.npy");
    let labels = parse(&npy_bytes(1, "<i8", false, &[2], &i64_bytes(&[1, 0]))).unwrap();
    // [N, H, W] bytes: one channel.
    let gray = parse(&npy_bytes(1, "|u1", false, &[2, 1, 2], &[0, 10, 20, 255])).unwrap();
    let data = images_from_npy(images_path, &gray, labels_path, &labels, None).unwrap();
    assert_eq!(
        data.shape(),
        ImageShape {
            channels: 1,
            height: 1,
            width: 2
        }
    );
    assert_eq!(
        (data.image(1), data.label(0), data.num_classes()),
        (&[20u8, 255][..], 1, 2)
    );
    // [N, H, W, C] floats in [0, 1]: transposed to [C, H, W], 1/255 steps.
    let rgb: Vec<f32> = vec![
        0.0, 0.5, 1.0, // pixel (0, 0) of image 0: r g b
        1.0, 0.0, 0.2, // pixel (1, 0)
        0.0, 0.0, 0.0, 1.0, 1.0, 1.0, // image 1
    ];
    let hwc = parse(&npy_bytes(1, "<f4", false, &[2, 2, 1, 3], &f32_bytes(&rgb))).unwrap();
    let data = images_from_npy(images_path, &hwc, labels_path, &labels, Some(10)).unwrap();
    assert_eq!(data.shape().channels, 3);
    assert_eq!(data.image(0), &[0u8, 255, 128, 0, 255, 51][..]);
    assert_eq!(data.num_classes(), 10);

    // Wrong label count, float labels, out-of-range pixels: errors naming the file.
    let three = parse(&npy_bytes(1, "<i8", false, &[3], &i64_bytes(&[0, 1, 2]))).unwrap();
    let err = images_from_npy(images_path, &gray, labels_path, &three, None).unwrap_err();
    assert!(
        err.to_string().contains("labels.npy") && err.to_string().contains("[2]"),
        "{err}"
    );
    let float_labels = parse(&npy_bytes(1, "<f4", false, &[2], &f32_bytes(&[0.0, 1.0]))).unwrap();
    let err = images_from_npy(images_path, &gray, labels_path, &float_labels, None).unwrap_err();
    assert!(err.to_string().contains("integer type"), "{err}");
    let bright = parse(&npy_bytes(
        1,
        "<f4",
        false,
        &[2, 1, 1],
        &f32_bytes(&[0.5, 3.0]),
    ))
    .unwrap();
    let err = images_from_npy(images_path, &bright, labels_path, &labels, None).unwrap_err();
    assert!(
        err.to_string().contains("image 1") && err.to_string().contains("0 to 1"),
        "{err}"
    );
    let odd = parse(&npy_bytes(1, "|u1", false, &[2, 5, 2, 2], &[0; 40])).unwrap();
    let err = images_from_npy(images_path, &odd, labels_path, &labels, None).unwrap_err();
    assert!(err.to_string().contains("[N, H, W]"), "{err}");
}

/// The digits fixture written as the four `.npy` files of a data directory.
fn write_digits_as_npy(dir: &Path) {
    let digits = read_digits().unwrap();
    let shape = digits.shape();
    let (train_n, test_n) = (1_500, digits.len() - 1_500);
    let write = |name: &str, range: std::ops::Range<usize>| {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for i in range.clone() {
            pixels.extend_from_slice(digits.image(i));
            labels.push(digits.label(i) as i64);
        }
        let n = range.len();
        std::fs::write(
            dir.join(format!("{name}_images.npy")),
            npy_bytes(1, "|u1", false, &[n, shape.height, shape.width], &pixels),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{name}_labels.npy")),
            npy_bytes(1, "<i8", false, &[n], &i64_bytes(&labels)),
        )
        .unwrap();
    };
    write("train", 0..train_n);
    write("test", train_n..train_n + test_n);
}

#[test]
fn a_train_evaluator_reads_a_directory_of_npy_files() {
    let dir = tempfile::tempdir().unwrap();
    write_digits_as_npy(dir.path());
    let settings = |data_dir: Option<&Path>| TrainEvaluatorSettings {
        dataset: DatasetName::Npy,
        subset: None,
        channels: 4,
        cells_per_stage: 1,
        epochs: 1,
        batch_size: 64,
        lr: 0.1,
        seed: 0,
        downsample: None,
        validation_size: None,
        test_size: None,
        data_dir: data_dir.map(Path::to_owned),
        space_file: None,
    };
    let evaluator = TrainEvaluator::new(settings(Some(dir.path()))).unwrap();
    let splits = evaluator.splits();
    // A tenth of the training files held out for validation.
    assert_eq!((splits.train.len(), splits.validation.len()), (1_350, 150));
    assert_eq!(splits.test.len(), 297);
    assert_eq!(evaluator.network_config().num_classes, 10);
    assert_eq!(settings(Some(dir.path())).data_files().len(), 4);
    let arch = Nb201Arch::from_op_digits("331213").unwrap();
    assert!(evaluator.network_config().layout(&arch).params() > 0);

    // Without a directory, or with a file missing: errors saying which.
    let err = TrainEvaluator::new(settings(None))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("data_dir") && err.contains("train_images.npy"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("test_labels.npy")).unwrap();
    let err = TrainEvaluator::new(settings(Some(dir.path())))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("test_labels.npy"), "{err}");
}
