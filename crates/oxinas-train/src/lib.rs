//! Burn trainer for oxinas: real networks for the search spaces, datasets,
//! training loops and zero-cost proxies.
//!
//! Everything is generic over a Burn backend `B`; [`backend`] names the CPU
//! default and, behind the `cuda` and `wgpu` features, the GPU backends;
//! [`TrainDevice`] picks one from a device name, in one place. Every random
//! choice (weights, splits, shuffling, augmentation) draws from an explicit
//! ChaCha generator, so a seed fixes a training run. The library never
//! prints: progress reaches the caller through a callback.

pub mod backend;
mod batch_norm;
mod cifar_binary;
mod classifier;
mod data_settings;
mod data_split;
mod digits_csv;
mod forward_context;
mod grad_clipping;
mod idx_format;
mod image_batch;
mod image_dataset;
pub mod init;
mod layerwise_network;
mod layerwise_train_evaluator;
mod lr_schedule;
mod naslib_zero_cost;
mod nb101_network;
mod nb201_network;
mod nb360_evaluator;
mod npy_format;
mod param_count;
mod reference_metric;
mod relu_conv_bn;
mod smoothed_cross_entropy;
mod task_batch;
mod task_cell_network;
mod task_loss;
mod task_model;
mod task_training;
mod task_wide_resnet;
mod train_device;
mod train_evaluator;
mod train_settings;
mod train_speed;
mod trainer;
pub mod zero_cost;

pub use batch_norm::batch_norm_2d;
pub use cifar_binary::{CifarKind, parse_cifar, read_cifar};
pub use classifier::ImageClassifier;
pub use data_settings::{CIFAR10_FILES, CIFAR100_FILES, DataSettings, DatasetName};
pub use data_split::{DataSplits, seeded_permutation, seeded_subset, split_three, split_with_test};
pub use digits_csv::{digits_fixture_path, parse_digits_csv, read_digits, read_digits_csv};
pub use forward_context::{ForwardContext, NormMode};
pub use grad_clipping::{clip_global_norm, global_grad_norm};
pub use idx_format::{
    FASHION_MNIST_DIR, FASHION_MNIST_FILES, IdxArray, parse_idx, read_fashion_mnist, read_idx,
    read_idx_images,
};
pub use image_batch::{Augmentation, ImageBatcher, Normalization, crop_and_flip};
pub use image_dataset::{ImageDataset, ImageShape};
pub use layerwise_network::{LayerBlock, LayerwiseNetwork, LayerwiseNetworkConfig};
pub use layerwise_train_evaluator::LayerwiseTrainEvaluator;
pub use lr_schedule::CosineSchedule;
pub use naslib_zero_cost::{
    NASLIB_ZERO_COST_FILE, NaslibZeroCost, parse_naslib_zero_cost, read_naslib_zero_cost,
};
pub use nb101_network::{ConvBnRelu, Nb101Cell, Nb101Network, Nb101NetworkConfig};
pub use nb201_network::{
    Nb201Block, Nb201Cell, Nb201Layout, Nb201Network, Nb201NetworkConfig, Nb201Reduction,
};
pub use nb360_evaluator::{
    Nb360Evaluator, Nb360EvaluatorError, Nb360EvaluatorSettings, WideResNetBaseline, metric_key,
    train_wide_resnet,
};
pub use npy_format::{NPY_FILES, images_from_npy, read_npy, read_npy_dir};
pub use param_count::trainable_params;
pub use relu_conv_bn::{
    ConvAxes, ConvShape, ReluConvBn, batch_norm, conv_along, conv_without_bias,
};
pub use smoothed_cross_entropy::{correct_predictions, smoothed_cross_entropy};
pub use task_batch::{TaskBatch, task_batch};
pub use task_cell_network::{TaskCellConfig, TaskCellNetwork};
pub use task_loss::task_loss;
pub use task_model::{TaskModel, TaskShape};
pub use task_training::{
    TaskEpochReport, TaskSplitKind, TaskTrainError, TaskTrainReport, TaskTrainSettings,
    evaluate_task_model, train_task_model,
};
pub use task_wide_resnet::{PreActBlock, TaskWideResNet, WideResNetConfig};
pub use train_device::{
    DEVICE_NAMES, DeviceDescription, DeviceNameError, TrainDevice, TrainJob, WgpuAdapter,
    compiled_gpu_backends,
};
pub use train_evaluator::{TrainEvaluator, TrainEvaluatorError, TrainEvaluatorSettings};
pub use train_settings::{AugmentationSettings, OptimizerSettings, TrainSettings};
pub use train_speed::{StepTiming, time_nb201_steps};
pub use trainer::{EpochReport, TrainReport, accuracy, train};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
