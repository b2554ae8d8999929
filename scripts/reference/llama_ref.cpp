// Reference outputs of llama.cpp itself for the K-quant goldens of inherit-pretrained
// (built and run by scripts/reference/kquant_goldens.sh; see scripts/reference/README.md).
//
//   llama_ref dequant TYPE_ID IN.bin OUT.f32      ggml's to_float (dequantize_row_*) of
//                                                 raw blocks
//   llama_ref tokenize MODEL TEXT                 token ids (parse_special, no BOS added)
//   llama_ref greedy MODEL N IDS...               N greedy steps: per step the argmax id,
//                                                 its piece and the top-5 log-probs
//   llama_ref forced MODEL IDS...                 teacher-forced: per position the
//                                                 log-prob of the next id and the top-5
//
// With LLAMA_REF_FLOAT set, the KV cache is f32 and flash attention off (for an f32 copy
// of a model: llama.cpp as a float computation). Output is JSON on stdout. Log-probabilities are natural-log softmax of llama.cpp's
// logits, computed here in double. One thread, so runs are reproducible.
#include "ggml.h"
#include "llama.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

static void quiet(enum ggml_log_level, const char *, void *) {}

static std::string json_str(const std::string & s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { o += '\\'; o += (char) c; }
        else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
        else o += (char) c;
    }
    return o + "\"";
}

struct Model {
    llama_model * model = nullptr;
    llama_context * ctx = nullptr;
    const llama_vocab * vocab = nullptr;
    int n_vocab = 0;
    explicit Model(const char * path, int n_ctx = 512) {
        llama_model_params mp = llama_model_default_params();
        model = llama_model_load_from_file(path, mp);
        if (!model) { fprintf(stderr, "cannot load %s\n", path); exit(1); }
        vocab = llama_model_get_vocab(model);
        n_vocab = llama_vocab_n_tokens(vocab);
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = n_ctx;
        cp.n_batch = n_ctx;
        cp.n_ubatch = n_ctx;
        cp.n_threads = 1;
        cp.n_threads_batch = 1;
        if (getenv("LLAMA_REF_FLOAT")) {
            // A float reference: f32 KV cache, no flash attention (with f32 weights, no
            // 8-bit activations either).
            cp.type_k = GGML_TYPE_F32;
            cp.type_v = GGML_TYPE_F32;
            cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        }
        ctx = llama_init_from_model(model, cp);
        if (!ctx) { fprintf(stderr, "cannot create context\n"); exit(1); }
    }
    std::string piece(llama_token t) const {
        char buf[256];
        int n = llama_token_to_piece(vocab, t, buf, sizeof buf, 0, true);
        return n < 0 ? std::string() : std::string(buf, n);
    }
    // Decodes `ids` at positions pos0.., logits for all of them (or only the last).
    void decode(const std::vector<llama_token> & ids, int pos0, bool all) {
        llama_batch b = llama_batch_init((int) ids.size(), 0, 1);
        for (size_t i = 0; i < ids.size(); i++) {
            b.token[i] = ids[i];
            b.pos[i] = pos0 + (int) i;
            b.n_seq_id[i] = 1;
            b.seq_id[i][0] = 0;
            b.logits[i] = all || i + 1 == ids.size();
        }
        b.n_tokens = (int) ids.size();
        if (llama_decode(ctx, b) != 0) { fprintf(stderr, "decode failed\n"); exit(1); }
        llama_batch_free(b);
    }
    std::vector<double> logprobs(int i) const {
        const float * l = llama_get_logits_ith(ctx, i);
        double mx = -INFINITY;
        for (int v = 0; v < n_vocab; v++) mx = std::max(mx, (double) l[v]);
        double s = 0;
        for (int v = 0; v < n_vocab; v++) s += std::exp((double) l[v] - mx);
        double lse = mx + std::log(s);
        std::vector<double> out(n_vocab);
        for (int v = 0; v < n_vocab; v++) out[v] = (double) l[v] - lse;
        return out;
    }
    std::string top5(const std::vector<double> & lp) const {
        std::vector<int> idx(n_vocab);
        for (int v = 0; v < n_vocab; v++) idx[v] = v;
        std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(),
                          [&](int a, int b) { return lp[a] > lp[b] || (lp[a] == lp[b] && a < b); });
        std::string o = "[";
        for (int k = 0; k < 5; k++) {
            char b[96];
            snprintf(b, sizeof b, "%s{\"id\": %d, \"logprob\": %.9g}", k ? ", " : "", idx[k], lp[idx[k]]);
            o += b;
        }
        return o + "]";
    }
};

static std::vector<llama_token> parse_ids(int argc, char ** argv, int from) {
    std::vector<llama_token> ids;
    for (int i = from; i < argc; i++) ids.push_back(atoi(argv[i]));
    return ids;
}

int main(int argc, char ** argv) {
    if (argc < 2) { fprintf(stderr, "usage: see the header of llama_ref.cpp\n"); return 2; }
    std::string cmd = argv[1];
    llama_log_set(quiet, nullptr);
    if (cmd == "dequant" && argc == 5) {
        enum ggml_type ty = (enum ggml_type) atoi(argv[2]);
        std::ifstream in(argv[3], std::ios::binary);
        std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        int64_t bs = ggml_blck_size(ty);
        size_t ts = ggml_type_size(ty);
        if (raw.size() % ts) { fprintf(stderr, "not whole blocks\n"); return 1; }
        int64_t n = (int64_t) (raw.size() / ts) * bs;
        std::vector<float> out(n);
        ggml_get_type_traits(ty)->to_float(raw.data(), out.data(), n);
        std::ofstream o(argv[4], std::ios::binary);
        o.write((const char *) out.data(), n * sizeof(float));
        return 0;
    }
    llama_backend_init();
    if (cmd == "tokenize" && argc == 4) {
        Model m(argv[2]);
        std::string text = argv[3];
        std::vector<llama_token> ids(text.size() + 8);
        int n = llama_tokenize(m.vocab, text.c_str(), (int) text.size(), ids.data(), (int) ids.size(), false, true);
        printf("[");
        for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", ids[i]);
        printf("]\n");
        return 0;
    }
    if (cmd == "greedy" && argc >= 5) {
        Model m(argv[2]);
        int steps = atoi(argv[3]);
        std::vector<llama_token> ids = parse_ids(argc, argv, 4);
        m.decode(ids, 0, false);
        int pos = (int) ids.size();
        int last = (int) ids.size() - 1;
        printf("[");
        for (int s = 0; s < steps; s++) {
            std::vector<double> lp = m.logprobs(last);
            int best = (int) (std::max_element(lp.begin(), lp.end()) - lp.begin());
            printf("%s\n  {\"id\": %d, \"piece\": %s, \"logprob\": %.9g, \"top\": %s}", s ? "," : "", best,
                   json_str(m.piece(best)).c_str(), lp[best], m.top5(lp).c_str());
            if (llama_vocab_is_eog(m.vocab, best)) break;
            m.decode({best}, pos++, false);
            last = 0;
        }
        printf("\n]\n");
        return 0;
    }
    if (cmd == "forced" && argc >= 4) {
        Model m(argv[2]);
        std::vector<llama_token> ids = parse_ids(argc, argv, 3);
        m.decode(ids, 0, true);
        printf("[");
        for (size_t i = 0; i + 1 < ids.size(); i++) {
            std::vector<double> lp = m.logprobs((int) i);
            printf("%s\n  {\"next\": %d, \"logprob\": %.9g, \"top\": %s}", i ? "," : "", ids[i + 1], lp[ids[i + 1]],
                   m.top5(lp).c_str());
        }
        printf("\n]\n");
        return 0;
    }
    fprintf(stderr, "bad arguments\n");
    return 2;
}
