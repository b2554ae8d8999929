//! The real benchmark files, read by `inherit-data`'s loaders and handed to
//! `inherit-eval`'s scorers in the scorers' input types (the two crates do not depend on
//! each other; this is where they meet).

use inherit::data::{BbqCategory, DataDir, WinoBiasFile};
use inherit::eval::benchmarks::{bbq, crows, eec, winobias};

/// Result of this module.
pub type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// BBQ items of one category (the scorer reads the upstream JSON shape, which the data
/// crate's records serialise back to).
pub fn bbq_items(dir: &DataDir, category: BbqCategory) -> BoxResult<Vec<bbq::BbqItem>> {
    dir.bbq(category)?
        .into_iter()
        .map(|item| Ok(serde_json::from_value(serde_json::to_value(item)?)?))
        .collect()
}

/// Every CrowS-Pairs pair.
pub fn crows_pairs(dir: &DataDir) -> BoxResult<Vec<crows::CrowsPair>> {
    Ok(dir
        .crows_pairs()?
        .into_iter()
        .map(|p| crows::CrowsPair {
            direction: serde_json::to_value(p.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            sent_more: p.sent_more,
            sent_less: p.sent_less,
            bias_type: p.bias_type,
        })
        .collect())
}

/// The sentences of one WinoBias file.
pub fn winobias_items(dir: &DataDir, file: WinoBiasFile) -> BoxResult<Vec<winobias::WinoBiasItem>> {
    let stereotype = match file.stereotype {
        inherit::data::Stereotype::Pro => winobias::Stereotype::Pro,
        inherit::data::Stereotype::Anti => winobias::Stereotype::Anti,
    };
    Ok(dir
        .winobias(file)?
        .into_iter()
        .map(|s| winobias::WinoBiasItem {
            sentence: s.text,
            referent: s.entity.text,
            pronoun: s.pronoun.text,
            stereotype,
        })
        .collect())
}

/// Every EEC row (a missing race or emotion is the empty string, as upstream).
pub fn eec_rows(dir: &DataDir) -> BoxResult<Vec<eec::EecRow>> {
    Ok(dir
        .eec()?
        .into_iter()
        .map(|r| eec::EecRow {
            sentence: r.sentence,
            template: r.template,
            person: r.person,
            gender: r.gender,
            race: r.race.unwrap_or_default(),
            emotion: r.emotion.unwrap_or_default(),
            emotion_word: r.emotion_word.unwrap_or_default(),
        })
        .collect())
}
