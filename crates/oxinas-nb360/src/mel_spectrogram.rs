//! Log-mel spectrograms as the FSD50K pipeline of NAS-Bench-360 computes
//! them: torchaudio's `MelSpectrogram` (short-time power spectrum through a
//! triangular HTK mel filter bank) followed by librosa's `power_to_db`.
//!
//! The reference builds `MelSpectrogram(sample_rate=22050, n_fft=96*20,
//! win_length=int(22050*0.03), hop_length=int(22050*0.01), n_mels=96)` and
//! keeps torchaudio's other defaults: a periodic Hann window of `win_length`
//! samples zero-padded to `n_fft` around the frame centre (as `torch.stft`
//! pads it), `center=True` with reflect padding of `n_fft / 2` on each side,
//! power 2, the HTK mel scale without filter normalisation, `f_min = 0` and
//! `f_max = sample_rate / 2`. `power_to_db` uses `ref = 1`, `amin = 1e-10`
//! and `top_db = 80`; the reference then adds a constant and subtracts the
//! spectrogram's mean, so the features are zero-mean per chunk
//! ([`MelSpectrogram::fsd50k_features`]). Everything is computed in `f64`
//! (torchaudio works in `f32`; the two agree to about 1e-4 dB).

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::error::Nb360Error;

/// The settings of a mel spectrogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MelConfig {
    /// Samples per second of the input.
    pub sample_rate: u32,
    /// FFT size; `n_fft / 2 + 1` frequency bins.
    pub n_fft: usize,
    /// Length of the Hann window (at most `n_fft`).
    pub win_length: usize,
    /// Samples between frame starts.
    pub hop_length: usize,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest filter-bank frequency (Hz).
    pub f_min: f64,
    /// Highest filter-bank frequency (Hz).
    pub f_max: f64,
}

impl MelConfig {
    /// The FSD50K features of NAS-Bench-360 (see the module documentation).
    pub const FSD50K: MelConfig = MelConfig {
        sample_rate: 22_050,
        n_fft: 96 * 20,
        // int(22050 * 0.03) and int(22050 * 0.01).
        win_length: 661,
        hop_length: 220,
        n_mels: 96,
        f_min: 0.0,
        f_max: 11_025.0,
    };

    /// Frequency bins of the one-sided spectrum.
    pub fn frequency_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Frames of a centred STFT of `samples` samples: `1 + samples / hop`.
    pub fn frame_count(&self, samples: usize) -> usize {
        1 + samples / self.hop_length.max(1)
    }

    fn check(&self) -> Result<(), Nb360Error> {
        let problem = if self.n_fft < 2 {
            Some(("n_fft", format!("{} is below 2", self.n_fft)))
        } else if self.win_length == 0 || self.win_length > self.n_fft {
            Some((
                "win_length",
                format!("{} is not in 1..={}", self.win_length, self.n_fft),
            ))
        } else if self.hop_length == 0 {
            Some(("hop_length", "must be positive".to_owned()))
        } else if self.n_mels == 0 {
            Some(("n_mels", "must be positive".to_owned()))
        } else if self.sample_rate == 0 {
            Some(("sample_rate", "must be positive".to_owned()))
        } else if !(self.f_min >= 0.0 && self.f_min < self.f_max) {
            Some((
                "f_min",
                format!(
                    "need 0 <= f_min < f_max, got {} and {}",
                    self.f_min, self.f_max
                ),
            ))
        } else {
            None
        };
        match problem {
            Some((field, message)) => Err(Nb360Error::Setting {
                field: format!("mel spectrogram {field}"),
                message,
            }),
            None => Ok(()),
        }
    }
}

/// Hertz to mel on the HTK scale: `2595 log10(1 + f / 700)`.
pub fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

/// Mel to hertz on the HTK scale: `700 (10^(m / 2595) - 1)`.
pub fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// The periodic Hann window of `len` samples (`torch.hann_window` default):
/// `0.5 - 0.5 cos(2 pi n / len)`.
pub fn periodic_hann(len: usize) -> Vec<f64> {
    (0..len)
        .map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / len as f64).cos())
        .collect()
}

/// Triangular filters of the HTK mel scale without normalisation, as
/// torchaudio's `melscale_fbanks`: row-major `[frequency_bins][n_mels]`. Bin
/// `k` sits at `k * (sample_rate / 2) / (bins - 1)` Hz (integer half rate, as
/// torchaudio); filter `m` rises from corner `m` to corner `m + 1` and falls to
/// corner `m + 2`, the `n_mels + 2` corners equally spaced in mel from `f_min`
/// to `f_max`.
pub fn mel_filter_bank(config: &MelConfig) -> Vec<f64> {
    let bins = config.frequency_bins();
    let half_rate = f64::from(config.sample_rate / 2);
    let bin_hz = |k: usize| {
        if bins > 1 {
            half_rate * k as f64 / (bins - 1) as f64
        } else {
            0.0
        }
    };
    let (m_min, m_max) = (hz_to_mel(config.f_min), hz_to_mel(config.f_max));
    let corners: Vec<f64> = (0..config.n_mels + 2)
        .map(|i| mel_to_hz(m_min + (m_max - m_min) * i as f64 / (config.n_mels + 1) as f64))
        .collect();
    let mut bank = vec![0.0; bins * config.n_mels];
    for k in 0..bins {
        let f = bin_hz(k);
        for m in 0..config.n_mels {
            let down = (f - corners[m]) / (corners[m + 1] - corners[m]);
            let up = (corners[m + 2] - f) / (corners[m + 2] - corners[m + 1]);
            bank[k * config.n_mels + m] = down.min(up).max(0.0);
        }
    }
    bank
}

/// librosa's `power_to_db` in place: `10 log10(max(amin, x)) - 10
/// log10(max(amin, reference))`, then, with `top_db`, everything below the
/// maximum minus `top_db` raised to that floor.
pub fn power_to_db(values: &mut [f64], reference: f64, amin: f64, top_db: Option<f64>) {
    let offset = 10.0 * amin.max(reference.abs()).log10();
    for v in values.iter_mut() {
        *v = 10.0 * amin.max(*v).log10() - offset;
    }
    if let Some(top) = top_db {
        let floor = values.iter().copied().fold(f64::NEG_INFINITY, f64::max) - top;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// One filter's non-zero span over the frequency bins and its weights there.
#[derive(Clone, Debug)]
struct MelFilter {
    first_bin: usize,
    weights: Vec<f64>,
}

/// A planned mel spectrogram: window, filter bank and FFT for one config.
pub struct MelSpectrogram {
    config: MelConfig,
    /// The Hann window zero-padded to `n_fft`, centred as `torch.stft` does.
    window: Vec<f64>,
    filters: Vec<MelFilter>,
    fft: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for MelSpectrogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelSpectrogram")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MelSpectrogram {
    /// Plans the spectrogram; a config out of range is a setting error.
    pub fn new(config: MelConfig) -> Result<Self, Nb360Error> {
        config.check()?;
        let mut window = vec![0.0; config.n_fft];
        let left = (config.n_fft - config.win_length) / 2;
        window[left..left + config.win_length].copy_from_slice(&periodic_hann(config.win_length));
        let bank = mel_filter_bank(&config);
        let bins = config.frequency_bins();
        let filters = (0..config.n_mels)
            .map(|m| {
                let column: Vec<f64> = (0..bins).map(|k| bank[k * config.n_mels + m]).collect();
                let first = column.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = column
                    .iter()
                    .rposition(|&w| w > 0.0)
                    .map_or(first, |l| l + 1);
                MelFilter {
                    first_bin: first,
                    weights: column[first..last].to_vec(),
                }
            })
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(config.n_fft);
        Ok(Self {
            config,
            window,
            filters,
            fft,
        })
    }

    /// The settings.
    pub fn config(&self) -> &MelConfig {
        &self.config
    }

    /// Mel power spectrogram of `signal`, mel-major `[n_mels][frames]` with
    /// `frames = config.frame_count(signal.len())`. Reflect padding needs the
    /// signal to be longer than `n_fft / 2` samples (as in torch); a shorter
    /// one is a setting error.
    pub fn power(&self, signal: &[f32]) -> Result<Vec<f64>, Nb360Error> {
        let n_fft = self.config.n_fft;
        let pad = n_fft / 2;
        if signal.len() <= pad {
            return Err(Nb360Error::Setting {
                field: "signal".to_owned(),
                message: format!(
                    "{} samples; reflect padding by {pad} needs more than {pad}",
                    signal.len()
                ),
            });
        }
        let n = signal.len();
        let padded: Vec<f64> = (0..n + 2 * pad)
            .map(|i| {
                // Mirror without repeating the edge sample (numpy/torch "reflect").
                let j = if i < pad {
                    pad - i
                } else if i - pad < n {
                    i - pad
                } else {
                    2 * (n - 1) - (i - pad)
                };
                f64::from(signal[j])
            })
            .collect();
        let frames = self.config.frame_count(n);
        let n_mels = self.config.n_mels;
        let mut out = vec![0.0; n_mels * frames];
        let mut buffer = vec![Complex::new(0.0, 0.0); n_fft];
        let mut scratch = vec![Complex::new(0.0, 0.0); self.fft.get_inplace_scratch_len()];
        let mut power = vec![0.0; self.config.frequency_bins()];
        for t in 0..frames {
            let start = t * self.config.hop_length;
            for ((b, &x), &w) in buffer
                .iter_mut()
                .zip(&padded[start..start + n_fft])
                .zip(&self.window)
            {
                *b = Complex::new(x * w, 0.0);
            }
            self.fft.process_with_scratch(&mut buffer, &mut scratch);
            for (p, b) in power.iter_mut().zip(&buffer) {
                *p = b.norm_sqr();
            }
            for (m, filter) in self.filters.iter().enumerate() {
                out[m * frames + t] = filter
                    .weights
                    .iter()
                    .zip(&power[filter.first_bin..])
                    .map(|(w, p)| w * p)
                    .sum();
            }
        }
        Ok(out)
    }

    /// Log-mel power in dB (`power_to_db` with `ref = 1`, `amin = 1e-10`,
    /// `top_db = 80`), mel-major `[n_mels][frames]`.
    pub fn log_mel(&self, signal: &[f32]) -> Result<Vec<f64>, Nb360Error> {
        let mut values = self.power(signal)?;
        power_to_db(&mut values, 1.0, 1e-10, Some(80.0));
        Ok(values)
    }

    /// The FSD50K network input of one chunk: [`Self::log_mel`] minus its
    /// mean over all bands and frames (the reference's per-sample zero
    /// centring), as `f32`, mel-major `[n_mels][frames]`.
    pub fn fsd50k_features(&self, signal: &[f32]) -> Result<Vec<f32>, Nb360Error> {
        let values = self.log_mel(signal)?;
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Ok(values.iter().map(|&v| (v - mean) as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, samples: usize, rate: f64) -> Vec<f32> {
        (0..samples)
            .map(|n| (0.5 * (2.0 * std::f64::consts::PI * hz * n as f64 / rate).sin()) as f32)
            .collect()
    }

    #[test]
    fn htk_mel_scale_round_trips_and_hits_known_points() {
        // 2595 log10(1 + 700/700) = 2595 log10 2 = 781.17...
        assert!((hz_to_mel(700.0) - 2595.0 * 2f64.log10()).abs() < 1e-9);
        assert_eq!(hz_to_mel(0.0), 0.0);
        for hz in [0.0, 100.0, 1000.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn periodic_hann_has_its_peak_in_the_middle_and_zero_first() {
        // Periodic: 0.5 - 0.5 cos(2 pi n / 4) = 0, .5, 1, .5.
        let w = periodic_hann(4);
        for (a, b) in w.iter().zip([0.0, 0.5, 1.0, 0.5]) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn small_filter_bank_matches_the_hand_computed_triangle() {
        // Rate 16 Hz, n_fft 8: bins at 0, 2, 4, 6, 8 Hz. One mel band from 0
        // to 8 Hz: the centre corner is halfway in mel, which on the HTK scale
        // is f_c = 700 (sqrt(1 + 8/700) - 1) = 3.98888... Hz. The filter rises
        // as f / f_c and falls as (8 - f) / (8 - f_c).
        let config = MelConfig {
            sample_rate: 16,
            n_fft: 8,
            win_length: 8,
            hop_length: 2,
            n_mels: 1,
            f_min: 0.0,
            f_max: 8.0,
        };
        let fc = 700.0 * ((1.0f64 + 8.0 / 700.0).sqrt() - 1.0);
        let expected = [
            0.0,
            2.0 / fc,
            (8.0 - 4.0) / (8.0 - fc),
            (8.0 - 6.0) / (8.0 - fc),
            0.0,
        ];
        let bank = mel_filter_bank(&config);
        assert_eq!(bank.len(), 5);
        for (got, want) in bank.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{bank:?} vs {expected:?}");
        }
    }

    #[test]
    fn frame_count_is_one_plus_length_over_hop() {
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        // One second at 22050 Hz: 1 + 22050 / 220 = 101 frames (the chunk size).
        let out = mel.power(&tone(1000.0, 22_050, 22_050.0)).unwrap();
        assert_eq!(out.len(), 96 * 101);
        assert_eq!(MelConfig::FSD50K.frame_count(4410), 21);
        assert!(mel.power(&[0.0; 960]).is_err());
        assert!(mel.power(&[0.0; 961]).is_ok());
    }

    #[test]
    fn pure_tone_energy_lands_in_the_band_around_its_frequency() {
        // 1000 Hz is 2595 log10(1 + 1000/700) = 999.99 mel. The 98 corners
        // of the FSD50K bank are spaced hz_to_mel(11025) / 97 = 3176.3 / 97
        // = 32.746 mel apart, so 1000 Hz sits at 30.54 spacings: between the
        // centres of band 29 (corner 30) and band 30 (corner 31), nearer 30.
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        let frames = 101;
        let out = mel.power(&tone(1000.0, 22_050, 22_050.0)).unwrap();
        let t = 50;
        let band = |m: usize| out[m * frames + t];
        let loudest = (0..96)
            .max_by(|&a, &b| band(a).total_cmp(&band(b)))
            .unwrap();
        assert_eq!(loudest, 30);
        assert!(band(29) > 0.1 * band(30));
        // Far bands get only window leakage.
        assert!(band(10) < 1e-6 * band(30));
        assert!(band(60) < 1e-6 * band(30));
    }

    #[test]
    fn power_to_db_floors_at_amin_and_top_db() {
        let mut v = vec![1.0, 0.1, 0.0, 1e-12];
        power_to_db(&mut v, 1.0, 1e-10, None);
        for (a, b) in v.iter().zip([0.0, -10.0, -100.0, -100.0]) {
            assert!((a - b).abs() < 1e-9, "{v:?}");
        }
        let mut v = vec![100.0, 1e-9];
        // 20 dB and -90 dB; top_db 80 raises the second to -60.
        power_to_db(&mut v, 1.0, 1e-10, Some(80.0));
        assert!((v[0] - 20.0).abs() < 1e-9 && (v[1] + 60.0).abs() < 1e-9);
    }

    #[test]
    fn silence_gives_flat_zero_features() {
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        let features = mel.fsd50k_features(&[0.0; 22_050]).unwrap();
        assert_eq!(features.len(), 96 * 101);
        assert!(features.iter().all(|&v| v == 0.0));
        let db = mel.log_mel(&[0.0; 22_050]).unwrap();
        assert!(db.iter().all(|&v| (v + 100.0).abs() < 1e-9));
    }

    #[test]
    fn log_mel_matches_an_independent_numpy_implementation() {
        // Expected values from a numpy re-implementation (np.fft.rfft,
        // np.pad(mode="reflect"), scipy's periodic Hann window, torchaudio's
        // filter-bank formulas, librosa's power_to_db formula), not from
        // torchaudio itself, for the signal below (0.2 s, 21 frames):
        //   w = np.zeros(1920); w[629:1290] = scipy.signal.get_window("hann", 661)
        //   xp = np.pad(x.astype(np.float64), 960, mode="reflect")
        //   S = np.stack([abs(np.fft.rfft(xp[t*220:t*220+1920] * w))**2
        //                 for t in range(21)], axis=1)
        //   f = np.linspace(0, 11025, 961); c = mel2hz(np.linspace(0, hz2mel(11025), 98))
        //   fb[:, m] = max(0, min((f-c[m])/(c[m+1]-c[m]), (c[m+2]-f)/(c[m+2]-c[m+1])))
        //   db = 10*np.log10(np.maximum(1e-10, fb.T @ S)); db = np.maximum(db, db.max()-80)
        let rate = 22_050.0;
        let pi = std::f64::consts::PI;
        let signal: Vec<f32> = (0..4410)
            .map(|n| {
                let n = n as f64;
                (0.5 * (2.0 * pi * 440.0 * n / rate).sin()
                    + 0.25 * (2.0 * pi * 3000.0 * n / rate + 0.3).sin()
                    + 0.1 * (2.0 * pi * 7000.0 * n / rate).cos()) as f32
            })
            .collect();
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        let db = mel.log_mel(&signal).unwrap();
        let frames = 21;
        assert_eq!(db.len(), 96 * frames);
        for (m, t, want) in [
            (0, 0, 21.173942388718213),
            (12, 5, -1.7900307306608374),
            (55, 20, 27.586085408833778),
            (95, 20, 3.2294776213903766),
            (40, 0, -12.818130634904957),
            // At the top_db floor: max 42.0009 - 80.
            (30, 10, -37.99906607535806),
        ] {
            let got = db[m * frames + t];
            assert!(
                (got - want).abs() < 1e-6,
                "band {m} frame {t}: {got} vs {want}"
            );
        }
        let mean = db.iter().sum::<f64>() / db.len() as f64;
        assert!((mean + 19.868606292600848).abs() < 1e-6, "{mean}");
        let features = mel.fsd50k_features(&signal).unwrap();
        assert!((f64::from(features[0]) - 41.04254868131906).abs() < 1e-4);
    }
    #[test]
    fn bad_settings_are_rejected() {
        let mut config = MelConfig::FSD50K;
        config.win_length = 2000;
        assert!(MelSpectrogram::new(config).is_err());
        let mut config = MelConfig::FSD50K;
        config.hop_length = 0;
        assert!(MelSpectrogram::new(config).is_err());
    }
}
