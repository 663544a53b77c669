//! Loaders, splits, normalisation and augmentation, on small files written here
//! and on the real data sets where they are installed.

use std::io::Write;
use std::path::Path;

use oxinas_core::DataError;
use oxinas_train::*;

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oxinas-train-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn idx_bytes(dims: &[u32], values: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(values);
    out
}

#[test]
fn idx_files_parse_plain_and_gzipped() {
    let images = idx_bytes(&[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    let labels = idx_bytes(&[2], &[7, 3]);
    let (img_path, lbl_path) = (temp_path("img.idx"), temp_path("lbl.idx.gz"));
    std::fs::write(&img_path, &images).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&labels).unwrap();
    std::fs::write(&lbl_path, gz.finish().unwrap()).unwrap();
    let data = read_idx_images(&img_path, &lbl_path, 10).unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(
        data.shape(),
        ImageShape {
            channels: 1,
            height: 2,
            width: 3
        }
    );
    assert_eq!(data.image(1), &[6, 7, 8, 9, 10, 255]);
    assert_eq!((data.label(0), data.label(1)), (7, 3));
}

#[test]
fn truncated_or_foreign_idx_files_are_typed_errors() {
    let p = Path::new("t.idx");
    let truncated = idx_bytes(&[2, 2, 2], &[1, 2, 3]);
    let err = parse_idx(p, &truncated).unwrap_err();
    assert!(matches!(err, DataError::Malformed { .. }));
    assert!(err.to_string().contains("8 values"), "{err}");
    let float_type = [0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0];
    assert!(
        parse_idx(p, &float_type)
            .unwrap_err()
            .to_string()
            .contains("0x08")
    );
    assert!(parse_idx(p, &[0, 0]).is_err());
    // Labels beyond the class count are rejected with their position.
    let (img, lbl) = (temp_path("i2.idx"), temp_path("l2.idx"));
    std::fs::write(&img, idx_bytes(&[1, 1, 1], &[0])).unwrap();
    std::fs::write(&lbl, idx_bytes(&[1], &[12])).unwrap();
    let err = read_idx_images(&img, &lbl, 10).unwrap_err();
    assert!(err.to_string().contains("label 0"), "{err}");
}

#[test]
fn cifar_binary_records_split_into_label_and_colour_planes() {
    let mut bytes = Vec::new();
    for (label, base) in [(3u8, 0u8), (9, 100)] {
        bytes.push(label);
        for plane in 0..3u8 {
            bytes.extend(std::iter::repeat_n(base + plane, 1024));
        }
    }
    let path = temp_path("data_batch_1.bin");
    std::fs::write(&path, &bytes).unwrap();
    let data = read_cifar(&[&path], CifarKind::Cifar10).unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data.label(1), 9);
    let image = data.image(1);
    assert_eq!(
        (image[0], image[1024], image[2048], image[3071]),
        (100, 101, 102, 102)
    );

    // CIFAR-100: coarse then fine label; the fine one is the class.
    let mut record = vec![4u8, 57];
    record.extend(std::iter::repeat_n(1u8, 3072));
    let data = parse_cifar(Path::new("train.bin"), &record, CifarKind::Cifar100).unwrap();
    assert_eq!((data.label(0), data.num_classes()), (57, 100));

    let err = parse_cifar(Path::new("bad.bin"), &bytes[..5000], CifarKind::Cifar10).unwrap_err();
    assert!(err.to_string().contains("3073"), "{err}");
}

#[test]
fn a_cifar10_directory_loads_through_data_settings() {
    let dir = tempfile::tempdir().unwrap();
    // Batch b holds 4 records with labels b..b+4 (mod 10); the test batch 3.
    let record = |label: u8| {
        let mut r = vec![label];
        r.extend(std::iter::repeat_n(label * 20, 3072));
        r
    };
    for (i, file) in CIFAR10_FILES.iter().enumerate() {
        let n = if i == 5 { 3 } else { 4 };
        let bytes: Vec<u8> = (0..n).flat_map(|j| record(((i + j) % 10) as u8)).collect();
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    let settings = DataSettings {
        dataset: DatasetName::Cifar10,
        subset: None,
        seed: 1,
        downsample: None,
        validation_size: Some(5),
        test_size: None,
        data_dir: Some(dir.path().to_path_buf()),
    };
    let splits = settings.load().unwrap();
    assert_eq!(
        (
            splits.train.len(),
            splits.validation.len(),
            splits.test.len()
        ),
        (15, 5, 3)
    );
    assert_eq!(splits.train.shape().channels, 3);
    assert_eq!(settings.data_files().len(), 6);
    // Without a directory, or with a file missing, the error says which.
    let no_dir = DataSettings {
        data_dir: None,
        ..settings.clone()
    };
    let err = no_dir.load().unwrap_err().to_string();
    assert!(err.contains("data_batch_1.bin"), "{err}");
    std::fs::remove_file(dir.path().join("test_batch.bin")).unwrap();
    let err = settings.load().unwrap_err().to_string();
    assert!(err.contains("test_batch.bin"), "{err}");
}

#[test]
fn digits_fixture_has_1797_images_of_ten_classes() {
    let data = read_digits().unwrap();
    assert_eq!(data.len(), 1797);
    assert_eq!(
        data.shape(),
        ImageShape {
            channels: 1,
            height: 8,
            width: 8
        }
    );
    let mut counts = [0usize; 10];
    for &l in data.labels() {
        counts[usize::from(l)] += 1;
    }
    assert!(
        counts.iter().all(|&c| (170..=190).contains(&c)),
        "{counts:?}"
    );
    // The first image is a zero (its first row is 0,0,5,13,9,1,0,0).
    assert_eq!(data.label(0), 0);
    assert_eq!(&data.image(0)[..8], &[0, 0, 5, 13, 9, 1, 0, 0]);
}

#[test]
fn malformed_digits_lines_name_line_and_column() {
    let mut line = vec!["0"; 64].join(",");
    line.push_str(",3\n");
    let bad = format!("{line}{}", line.replacen("0,", "17,", 1));
    let err = parse_digits_csv(Path::new("d.csv"), &bad).unwrap_err();
    assert!(err.to_string().contains("line 2, column 1"), "{err}");
    let err = parse_digits_csv(Path::new("d.csv"), "1,2,3\n").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn splits_are_fixed_by_seed_and_disjoint() {
    let data = read_digits().unwrap();
    let a = split_three(&data, 300, 200, 7).unwrap();
    let b = split_three(&data, 300, 200, 7).unwrap();
    let c = split_three(&data, 300, 200, 8).unwrap();
    assert_eq!(
        (a.train.len(), a.validation.len(), a.test.len()),
        (1297, 300, 200)
    );
    assert_eq!(a.validation, b.validation);
    assert_ne!(a.validation, c.validation);
    // Disjoint: the permutation never repeats an index.
    let mut perm = seeded_permutation(1797, 7);
    perm.sort_unstable();
    assert_eq!(perm, (0..1797).collect::<Vec<_>>());
    assert!(split_three(&data, 1000, 797, 7).is_err());
}

#[test]
fn crop_and_flip_by_hand() {
    let shape = ImageShape {
        channels: 1,
        height: 3,
        width: 3,
    };
    let image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    // Offset (padding, padding) is the identity crop.
    assert_eq!(
        crop_and_flip(&image, shape, 1, (1, 1), false),
        image.to_vec()
    );
    // Crop from the padded top-left corner: shifted down-right, zeros enter.
    assert_eq!(
        crop_and_flip(&image, shape, 1, (0, 0), false),
        vec![0, 0, 0, 0, 1, 2, 0, 4, 5]
    );
    assert_eq!(
        crop_and_flip(&image, shape, 1, (1, 1), true),
        vec![3, 2, 1, 6, 5, 4, 9, 8, 7]
    );
}

#[test]
fn normalisation_statistics_by_hand() {
    let shape = ImageShape {
        channels: 2,
        height: 1,
        width: 2,
    };
    let data = ImageDataset::new(
        "t",
        vec![0, 255, 51, 51, 255, 0, 51, 51],
        vec![0, 1],
        shape,
        2,
        255,
    )
    .unwrap();
    let n = Normalization::fit(&data);
    assert!((n.mean[0] - 0.5).abs() < 1e-6 && (n.std[0] - 0.5).abs() < 1e-6);
    // A constant channel keeps unit scale.
    assert!((n.mean[1] - 0.2).abs() < 1e-6 && n.std[1] == 1.0);
    let square = ImageShape {
        channels: 1,
        height: 2,
        width: 2,
    };
    let data = ImageDataset::new("t", vec![10, 20, 30, 41], vec![0], square, 1, 255).unwrap();
    let down = data.downsample(2);
    assert_eq!(
        down.shape(),
        ImageShape {
            channels: 1,
            height: 1,
            width: 1
        }
    );
    // (10 + 20 + 30 + 41) / 4 = 25.25, rounded.
    assert_eq!(down.image(0), &[25]);
}

#[test]
fn fashion_mnist_from_debian_package() {
    let dir = Path::new(FASHION_MNIST_DIR);
    if !dir.join("train-images-idx3-ubyte.gz").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install dataset-fashion-mnist"
        );
        oxinas_testkit::skip_test(&format!(
            "Fashion-MNIST not found in {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)"
        ));
        return;
    }
    let (train, test) = read_fashion_mnist(dir).unwrap();
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    assert_eq!(
        train.shape(),
        ImageShape {
            channels: 1,
            height: 28,
            width: 28
        }
    );
    let mut counts = [0usize; 10];
    for &l in test.labels() {
        counts[usize::from(l)] += 1;
    }
    assert_eq!(counts, [1000; 10]);
}
