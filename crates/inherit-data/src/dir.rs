//! [`DataDir`]: the shared data directory, with one method per dataset.

use std::path::{Path, PathBuf};

use inherit_core::{Dataset, Lexicon};

use crate::bbq::{BbqCategory, BbqItem, read_bbq};
use crate::bold::{BoldDomain, BoldRecord, read_bold};
use crate::crows::{CROWS_PAIRS_FILE, CrowsPair, read_crows_pairs};
use crate::eec::{EEC_FILE, EecRow, eec_dataset, read_eec};
use crate::error::{Error, Result};
use crate::holistic::{HOLISTIC_DESCRIPTORS_FILE, HolisticDescriptor, read_holistic_descriptors};
use crate::lexicons::{descriptor_lexicon, read_gender_pairs};
use crate::text_sets::{MADLIBS_FILE, Sst2Split, read_madlibs, read_sst2};
use crate::winobias::{WinoBiasFile, WinoBiasSentence, read_winobias, read_word_list};
use crate::wvs::{WvsCountry, WvsFile, WvsSurvey, read_wvs_file};

/// The environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "INHERIT_DATA_DIR";

/// The shared data directory (the layout of `shared/data`, see its README): each method
/// reads one dataset and fails with [`Error::MissingFile`] naming the file when it is
/// absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `path`; an error if it is not a directory.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let root = path.into();
        if !root.is_dir() {
            return Err(Error::MissingDataDir { path: root });
        }
        Ok(DataDir { root })
    }

    /// The data directory named by `INHERIT_DATA_DIR`.
    pub fn from_env() -> Result<Self> {
        let path = std::env::var_os(DATA_DIR_ENV).ok_or(Error::EnvUnset(DATA_DIR_ENV))?;
        DataDir::new(path)
    }

    /// The data directory as every binary and the study find it, at run time:
    ///
    /// 1. `INHERIT_DATA_DIR` when it is set and not empty; an error naming the variable
    ///    when it is not a directory (never a silent fallback);
    /// 2. else `../shared/data` relative to the current directory or the first directory
    ///    above it that has one (a checkout beside `shared/`, run from its root or from
    ///    any folder inside it);
    /// 3. else an error naming `INHERIT_DATA_DIR`.
    pub fn resolve() -> Result<Self> {
        Self::resolve_from(
            std::env::var_os(DATA_DIR_ENV).map(PathBuf::from),
            &std::env::current_dir().unwrap_or_default(),
        )
    }

    /// [`DataDir::resolve`] with the variable's value and the current directory given.
    pub fn resolve_from(var: Option<PathBuf>, cwd: &Path) -> Result<Self> {
        if let Some(path) = var.filter(|p| !p.as_os_str().is_empty()) {
            if !path.is_dir() {
                return Err(Error::EnvNotDir {
                    var: DATA_DIR_ENV,
                    path,
                });
            }
            return Ok(DataDir { root: path });
        }
        for dir in cwd.ancestors() {
            let Some(parent) = dir.parent() else { break };
            let candidate = parent.join("shared").join("data");
            if candidate.is_dir() {
                return Ok(DataDir { root: candidate });
            }
        }
        Err(Error::NoDataDir {
            var: DATA_DIR_ENV,
            cwd: cwd.to_owned(),
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `relative` inside the directory, which must be an existing file;
    /// `dataset` names the dataset in the error otherwise.
    pub fn file(&self, dataset: &str, relative: &str) -> Result<PathBuf> {
        let path = self.root.join(relative);
        if path.is_file() {
            Ok(path)
        } else {
            Err(Error::MissingFile {
                dataset: dataset.to_owned(),
                path,
            })
        }
    }

    /// EEC rows (8,640).
    pub fn eec(&self) -> Result<Vec<EecRow>> {
        read_eec(&self.file("EEC", EEC_FILE)?)
    }

    /// EEC as a labelled dataset (label = emotion, stated gender and race; see
    /// [`eec_dataset`]).
    pub fn eec_dataset(&self) -> Result<Dataset> {
        let path = self.file("EEC", EEC_FILE)?;
        Ok(eec_dataset(
            &read_eec(&path)?,
            &crate::read::source_name(&path),
        ))
    }

    /// One WinoBias sentence file (396 sentences each).
    pub fn winobias(&self, file: WinoBiasFile) -> Result<Vec<WinoBiasSentence>> {
        read_winobias(&self.file("WinoBias", &file.relative_path())?, file)
    }

    /// WinoBias occupation lists: `(female, male)`, as in `female_occupations.txt` and
    /// `male_occupations.txt`.
    pub fn winobias_occupations(&self) -> Result<(Vec<String>, Vec<String>)> {
        let female = read_word_list(&self.file("WinoBias", "winobias/female_occupations.txt")?)?;
        let male = read_word_list(&self.file("WinoBias", "winobias/male_occupations.txt")?)?;
        Ok((female, male))
    }

    /// WinoBias `generalized_swaps.txt` as a gender lexicon (see [`read_gender_pairs`]).
    pub fn winobias_swaps(&self) -> Result<Lexicon> {
        read_gender_pairs(&self.file("WinoBias", "winobias/generalized_swaps.txt")?)
    }

    /// WinoBias `extra_gendered_words.txt` as a gender lexicon.
    pub fn winobias_extra_gendered(&self) -> Result<Lexicon> {
        read_gender_pairs(&self.file("WinoBias", "winobias/extra_gendered_words.txt")?)
    }

    /// CrowS-Pairs (1,508 pairs).
    pub fn crows_pairs(&self) -> Result<Vec<CrowsPair>> {
        read_crows_pairs(&self.file("CrowS-Pairs", CROWS_PAIRS_FILE)?)
    }

    /// One BBQ category (Age 3,680 items, Religion 1,200 in the shared data).
    pub fn bbq(&self, category: BbqCategory) -> Result<Vec<BbqItem>> {
        let dataset = format!("BBQ {}", category.as_str());
        read_bbq(&self.file(&dataset, &category.relative_path())?)
    }

    /// Identity madlibs (76,564 sentences, labels `BAD` / `NOT_BAD`).
    pub fn identity_madlibs(&self) -> Result<Dataset> {
        read_madlibs(&self.file("identity madlibs", MADLIBS_FILE)?)
    }

    /// SST-2 (train 67,349, dev 872; labels `negative` / `positive`).
    pub fn sst2(&self, split: Sst2Split) -> Result<Dataset> {
        read_sst2(&self.file("SST-2", split.relative_path())?)
    }

    /// BOLD prompts of one domain.
    pub fn bold_prompts(&self, domain: BoldDomain) -> Result<Vec<BoldRecord>> {
        read_bold(&self.file("BOLD prompts", &domain.prompt_path())?, domain)
    }

    /// BOLD Wikipedia sentences of one domain.
    pub fn bold_wiki(&self, domain: BoldDomain) -> Result<Vec<BoldRecord>> {
        read_bold(&self.file("BOLD wiki", &domain.wiki_path())?, domain)
    }

    /// HolisticBias descriptors (583).
    pub fn holistic_descriptors(&self) -> Result<Vec<HolisticDescriptor>> {
        read_holistic_descriptors(&self.file("HolisticBias", HOLISTIC_DESCRIPTORS_FILE)?)
    }

    /// HolisticBias descriptors as a lexicon (see [`descriptor_lexicon`]).
    pub fn holistic_lexicon(&self) -> Result<Lexicon> {
        Ok(descriptor_lexicon(&self.holistic_descriptors()?))
    }

    /// One country's World Values Survey file (`wvs/us_wvs.json`, ...).
    pub fn wvs_file(&self, country: WvsCountry) -> Result<WvsFile> {
        let dataset = format!("WVS {country}");
        read_wvs_file(&self.file(&dataset, &country.relative_path())?, country)
    }

    /// The four World Values Survey files joined by question id (79 common ids in the
    /// shared copies; see [`WvsSurvey`]).
    pub fn wvs(&self) -> Result<WvsSurvey> {
        let files = WvsCountry::ALL
            .into_iter()
            .map(|c| self.wvs_file(c))
            .collect::<Result<Vec<_>>>()?;
        WvsSurvey::from_files(files)
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    #[test]
    fn a_set_variable_wins_and_a_wrong_one_is_named_not_replaced() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("shared").join("data");
        std::fs::create_dir_all(&data).expect("mkdir");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join("crates/x")).expect("mkdir");
        // The variable, when it names a folder, is used as it is.
        let other = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&other).expect("mkdir");
        let d = DataDir::resolve_from(Some(other.clone()), &repo).expect("set");
        assert_eq!(d.root(), other);
        // A variable naming nothing is an error naming it, even though ../shared/data
        // exists beside the checkout.
        let err = DataDir::resolve_from(Some("/nowhere/at/all".into()), &repo)
            .expect_err("missing folder")
            .to_string();
        assert!(err.contains("INHERIT_DATA_DIR=/nowhere/at/all"), "{err}");
        // Unset: ../shared/data from the current directory or any folder above it.
        assert_eq!(
            DataDir::resolve_from(None, &repo).expect("root").root(),
            data
        );
        assert_eq!(
            DataDir::resolve_from(None, &repo.join("crates/x"))
                .expect("inside")
                .root(),
            data
        );
        // An empty variable counts as unset.
        assert_eq!(
            DataDir::resolve_from(Some("".into()), &repo)
                .expect("empty")
                .root(),
            data
        );
        // Nothing found: an error naming the variable.
        let lone = tempfile::tempdir().expect("tempdir");
        let err = DataDir::resolve_from(None, lone.path())
            .expect_err("none")
            .to_string();
        assert!(err.contains("INHERIT_DATA_DIR is not set"), "{err}");
    }
}
