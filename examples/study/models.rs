//! The study's models: the augmenting generator and the embedder of the distribution
//! analysis, chosen by the config.
//!
//! - generator `smollm2`: SmolLM2-135M-Instruct (GGUF, in process, on burn);
//!   `openai`: any OpenAI-compatible endpoint; `stand-in`: a model-free generator with a
//!   known 80/20 gender skew, answering from the suite's templates (for tests).
//! - embedder `minilm`: all-MiniLM-L6-v2 (safetensors, in process); `hashing`: a
//!   model-free bag of hashed words (for tests); `none`: skip the analysis.

use std::path::PathBuf;

use inherit::augment::{OpenAiCompatible, OpenAiConfig};
use inherit::core::{Axis, Embedder, TextGenerator, derive_seed, seeded_rng};
use inherit::train::DeviceSpec;
use inherit::train::hub::{self, Hub};
use rand::RngExt;

use crate::config::{EmbeddingConfig, GeneratorConfig};
use crate::run::BoxResult;

/// A model file used by the run, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelFile {
    /// What it is.
    pub role: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its sha256.
    pub sha256: String,
}

/// Loads the generator named by the config.
pub fn generator(
    cfg: &GeneratorConfig,
    device: &DeviceSpec,
    files: &mut Vec<ModelFile>,
) -> BoxResult<Box<dyn TextGenerator>> {
    match cfg.kind.as_str() {
        "smollm2" => {
            let path = match &cfg.gguf {
                Some(p) => p.clone(),
                None => hub::ensure(&hub::SMOLLM2_GGUF)?,
            };
            files.push(ModelFile {
                role: "generator (SmolLM2-135M-Instruct Q4_1 GGUF)".into(),
                sha256: hub::sha256_file(&path)?,
                path: path.clone(),
            });
            let mut lm = inherit::train::SmolLm::load(&path, &device.device()?)?;
            lm.set_max_batch(cfg.batch_size)?;
            Ok(Box::new(lm))
        }
        "openai" => {
            let mut config = OpenAiConfig::new(
                cfg.endpoint.clone().unwrap_or_default(),
                cfg.model.clone().unwrap_or_default(),
            );
            config.api_key_env = cfg.api_key_env.clone();
            Ok(Box::new(OpenAiCompatible::new(config)?))
        }
        "stand-in" => Ok(Box::new(StandInGenerator::new(cfg.seed)?)),
        other => Err(format!("unknown generator kind `{other}`").into()),
    }
}

/// The share of women in the stand-in generator's biographies of an occupation: nurse
/// 0.8, the others 0.2, a skew like the one SmolLM2 shows under neutral prompts.
fn stand_in_female_share(label: &str) -> f64 {
    if label == "nurse" { 0.8 } else { 0.2 }
}

/// A stand-in generator for tests and smoke runs, with a known bias: it reads the
/// occupation named in the prompt and answers with a biography of that occupation from a
/// separate draw of the occupation suite (same templates as D_o's training part, never the
/// test part), choosing the person's gender with [`stand_in_female_share`]. Deterministic
/// in (prompt, seed).
pub struct StandInGenerator {
    /// Biographies by (suite label, gender).
    pool: std::collections::BTreeMap<(String, String), Vec<String>>,
    labels: Vec<String>,
}

impl StandInGenerator {
    fn new(seed: u64) -> BoxResult<Self> {
        let suite = inherit::data::OccupationSuite::build(&inherit::data::OccupationSuiteParams {
            n_train_per_cell: 20,
            n_test_per_cell: 1,
            seed: derive_seed(seed, "stand-in-generator"),
            ..Default::default()
        })?;
        let mut pool: std::collections::BTreeMap<(String, String), Vec<String>> =
            Default::default();
        for e in &suite.train.examples {
            let key = (
                e.label.clone().unwrap_or_default(),
                e.groups.value(&Axis::Gender).unwrap_or("-").to_owned(),
            );
            pool.entry(key).or_default().push(e.text.clone());
        }
        Ok(StandInGenerator {
            pool,
            labels: suite.train.labels.clone(),
        })
    }
}

impl TextGenerator for StandInGenerator {
    fn id(&self) -> String {
        "stand-in-suite-generator".into()
    }

    fn generate(
        &self,
        prompts: &[inherit::core::Prompt],
        params: &inherit::core::GenerationParams,
    ) -> inherit::core::Result<Vec<String>> {
        Ok(prompts
            .iter()
            .map(|p| {
                let text = p.flatten().to_lowercase();
                let label = self
                    .labels
                    .iter()
                    .find(|l| text.contains(&l.replace('_', " ")))
                    .cloned()
                    .unwrap_or_else(|| self.labels[0].clone());
                let mut rng = seeded_rng(derive_seed(params.seed, &text));
                let gender = if rng.random::<f64>() < stand_in_female_share(&label) {
                    "female"
                } else {
                    "male"
                };
                let texts = &self.pool[&(label, gender.to_owned())];
                texts[rng.random_range(0..texts.len())].clone()
            })
            .collect())
    }
}

/// Loads the embedder named by the config (`None` for `none`).
pub fn embedder(
    cfg: &EmbeddingConfig,
    device: &DeviceSpec,
    files: &mut Vec<ModelFile>,
) -> BoxResult<Option<Box<dyn Embedder>>> {
    match cfg.kind.as_str() {
        "none" => Ok(None),
        "hashing" => Ok(Some(Box::new(HashingEmbedder { dim: 256 }))),
        "minilm" => {
            let dir = match &cfg.bert_dir {
                Some(d) => d.clone(),
                None => Hub::from_env()?.ensure_extracted(&hub::MINILM_ZIP, &hub::MINILM_FILES)?,
            };
            files.push(ModelFile {
                role: "embedder (all-MiniLM-L6-v2 safetensors)".into(),
                sha256: hub::sha256_file(&dir.join("model.safetensors"))?,
                path: dir.clone(),
            });
            Ok(Some(Box::new(inherit::train::MiniLm::load(
                &dir,
                &device.device()?,
            )?)))
        }
        other => Err(format!("unknown embedding kind `{other}`").into()),
    }
}

/// A model-free embedder: counts of lowercased words hashed (with `derive_seed`) into `dim` buckets,
/// L2-normalised. Cheap and deterministic; for tests and smoke runs.
pub struct HashingEmbedder {
    dim: usize,
}

impl Embedder for HashingEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[String]) -> inherit::core::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; self.dim];
                for word in t
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let h = derive_seed(0, &word.to_lowercase());
                    v[(h % self.dim as u64) as usize] += 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect())
    }
}
