// The shuffle kernel (see the header). Each byte costs one dependent byte
// shuffle: the current state, broadcast to all 16 lanes, indexes the 16-byte
// row of the byte, and every lane of the result holds the next state. The
// row's load does not depend on the state, so it runs ahead, and no branch
// depends on the input inside a block of 16 bytes.
//
// Measured on the parser's corpus, branches the predictor misses cost more
// than the bytes: so the input is read in whole blocks of 16 (the last block
// reads past the input's end when that stays inside the same memory page,
// and uses a copy otherwise), and the tag events are found from one mask per
// block. The last 16 states ride in a register (each step shifts it down one
// lane and puts the new state on top) and are stored once per block.

#include "SMTPParserKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <string.h>

enum { EVENT_WORDS = SMTP_SHUFFLE_MAX_INPUT / 64 };

/// Whether every run of a limited state is within its limit. `states[i]` is
/// the state after byte i, 16 to a block, aligned.
static inline int within_limits(const smtp_shuffle_tables *t, const uint8_t *states, size_t n) {
    const __m128i low_bits = _mm_set1_epi8(0x0F);
    for (unsigned q = 1; q < 16; q++) {
        unsigned limit = t->run_limit[q];
        if (!limit) continue;
        unsigned run = 0;  // the run of q that reaches the end of the previous block
        const __m128i want = _mm_set1_epi8((char)q);
        for (size_t j = 0; j < n; j += 16) {
            __m128i v = _mm_and_si128(_mm_load_si128((const __m128i *)(states + j)), low_bits);
            unsigned valid = n - j >= 16 ? 0xFFFFu : (1u << (n - j)) - 1;
            unsigned bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)) & valid;
            if (bits == 0xFFFFu) {
                run += 16;
                if (run > limit) return 0;
                continue;
            }
            // The carried run goes on through the block's lowest bits.
            if (run + (unsigned)__builtin_ctz(~bits) > limit) return 0;
            // A run inside the block longer than the limit survives `limit` halvings.
            if (limit < 16) {
                unsigned x = bits;
                for (unsigned k = 0; k < limit && x; k++) x &= x >> 1;
                if (x) return 0;
            }
            // The run that reaches the block's top carries into the next block.
            run = (bits & 0x8000u) ? (unsigned)__builtin_clz(~(bits << 16)) : 0;
        }
    }
    return 1;
}

/// Sets the tags of tag set `set` to `position`: its first tag without a
/// branch (`first_tag` 16 is a spare slot), any others in a loop.
static inline void set_tags(const smtp_shuffle_tables *t, unsigned set, int32_t position, int32_t *tags, int32_t *spare) {
    unsigned first = t->first_tag[set];
    *(first < 16 ? &tags[first] : spare) = position;
    for (unsigned m = t->set_tags[set] & ~(1u << first); m; m &= m - 1) tags[__builtin_ctz(m)] = position;
}

/// The verdict of a finished run, and its tags when it accepts.
static inline int finish(
    const smtp_shuffle_tables *t, const uint8_t *states, size_t n, const uint64_t *events, int32_t offset, int32_t *tags) {
    int accept = t->accept[n ? states[n - 1] & 15 : 1];
    if (!accept) return 0;
    if (t->has_limits && !within_limits(t, states, n)) return 0;
    int32_t spare;
    if (n <= 64 && __builtin_popcountll(events[0]) <= 4 && t->single_tag_sets) {
        // Up to 4 events (every capture of the SMTP commands has at most two
        // fields), each setting one tag, in input order (so a later event
        // wins, as in the table automaton): no branch on the input.
        uint64_t e = events[0];
        for (int k = 0; k < 4; k++) {
            unsigned p = (unsigned)__builtin_ctzll(e | (1ull << 63));
            unsigned first = e ? t->first_tag[(states[p] >> 4) & 7] : 16;
            *(first < 16 ? &tags[first] : &spare) = offset + (int32_t)p;
            e &= e - 1;
        }
    } else {
        for (size_t w = 0; w < (n + 63) / 64; w++) {
            for (uint64_t e = events[w]; e; e &= e - 1) {
                size_t p = w * 64 + (size_t)__builtin_ctzll(e);
                set_tags(t, (states[p] >> 4) & 7, offset + (int32_t)p, tags, &spare);
            }
        }
    }
    set_tags(t, (unsigned)accept, offset + (int32_t)n, tags, &spare);
    return accept;
}

/// The first 16 bytes of the input, read in place when the 16 bytes stay
/// inside the input's first page (the bytes past its end are then whatever
/// follows, which the prefix's mask drops); otherwise from a zeroed copy.
__attribute__((no_sanitize("address"))) static inline __m128i input_head(const uint8_t *input, size_t count) {
    if (((uintptr_t)input & 4095) <= 4096 - 16) return _mm_loadu_si128((const __m128i *)input);
    uint8_t copy[16] = {0};
    memcpy(copy, input, count < 16 ? count : 16);
    return _mm_loadu_si128((const __m128i *)copy);
}

#define SHUFFLE_STEP(bytes, k)                                                  \
    s = _mm_shuffle_epi8(_mm_load_si128(rows + (bytes)[(k)]), s);              \
    pending = _mm_alignr_epi8(s, pending, 1)

// 16 steps, then the block's states are stored and its tag events noted.
#define SHUFFLE_BLOCK(bytes, at, valid)                                                                        \
    SHUFFLE_STEP(bytes, 0); SHUFFLE_STEP(bytes, 1); SHUFFLE_STEP(bytes, 2); SHUFFLE_STEP(bytes, 3);            \
    SHUFFLE_STEP(bytes, 4); SHUFFLE_STEP(bytes, 5); SHUFFLE_STEP(bytes, 6); SHUFFLE_STEP(bytes, 7);            \
    SHUFFLE_STEP(bytes, 8); SHUFFLE_STEP(bytes, 9); SHUFFLE_STEP(bytes, 10); SHUFFLE_STEP(bytes, 11);          \
    SHUFFLE_STEP(bytes, 12); SHUFFLE_STEP(bytes, 13); SHUFFLE_STEP(bytes, 14); SHUFFLE_STEP(bytes, 15);        \
    _mm_store_si128((__m128i *)(states + (at)), pending);                                                       \
    events[(at) >> 6] |= (uint64_t)(~(unsigned)_mm_movemask_epi8(                                               \
        _mm_cmpeq_epi8(_mm_and_si128(pending, tag_bits), _mm_setzero_si128())) & (valid)) << ((at) & 63)

// The prefix is compared as one 16-byte word. The last block reads past the
// input's end only when its 16 bytes lie in one page (its first byte is the
// input's, so that page is mapped); the bytes past the end only make states
// past the end, which nothing reads. Address sanitizers would still see a
// read past the buffer: the function opts out.
#define SHUFFLE_KERNEL(name, target_name)                                                                      \
    __attribute__((target(target_name), no_sanitize("address"))) static int name(                               \
        const smtp_shuffle_tables *t, const uint8_t *input, size_t count, int32_t *tags) {                     \
        size_t prefix = t->prefix_length;                                                                       \
        if (count < prefix || count - prefix > SMTP_SHUFFLE_MAX_INPUT) return 0;                                \
        if (prefix) {                                                                                           \
            __m128i head = _mm_or_si128(input_head(input, count), _mm_loadu_si128((const __m128i *)t->prefix_fold)); \
            head = _mm_and_si128(head, _mm_loadu_si128((const __m128i *)t->prefix_keep));                        \
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(head, _mm_loadu_si128((const __m128i *)t->prefix))) != 0xFFFF)  \
                return 0;                                                                                       \
        }                                                                                                       \
        const uint8_t *in = input + prefix;                                                                     \
        size_t n = count - prefix;                                                                              \
        _Alignas(16) uint8_t states[SMTP_SHUFFLE_MAX_INPUT];                                                    \
        uint64_t events[EVENT_WORDS] = {0};                                                                      \
        const __m128i *rows = (const __m128i *)t->rows;                                                         \
        const __m128i tag_bits = _mm_set1_epi8(0x70);                                                           \
        __m128i s = _mm_set1_epi8(1), pending = _mm_setzero_si128();                                            \
        size_t full = n >> 4;                                                                                   \
        for (size_t b = 0; b < full; b++) {                                                                     \
            const uint8_t *bytes = in + 16 * b;                                                                 \
            SHUFFLE_BLOCK(bytes, 16 * b, 0xFFFFu);                                                              \
        }                                                                                                       \
        size_t rest = n & 15;                                                                                   \
        if (rest) {                                                                                             \
            const uint8_t *bytes = in + 16 * full;                                                              \
            uint8_t copy[16];                                                                                   \
            if (((uintptr_t)bytes & 4095) > 4096 - 16) {                                                        \
                memset(copy, 0, sizeof copy);                                                                   \
                memcpy(copy, bytes, rest);                                                                      \
                bytes = copy;                                                                                   \
            }                                                                                                   \
            SHUFFLE_BLOCK(bytes, 16 * full, (1u << rest) - 1);                                                  \
        }                                                                                                       \
        return finish(t, states, n, events, (int32_t)prefix, tags);                                             \
    }

SHUFFLE_KERNEL(run_ssse3, "ssse3")
SHUFFLE_KERNEL(run_avx2, "avx2")

unsigned smtp_shuffle_kernels(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("ssse3") ? SMTP_SHUFFLE_SSSE3 : 0u)
        | (__builtin_cpu_supports("avx2") ? SMTP_SHUFFLE_AVX2 : 0u);
}

int smtp_shuffle_run(unsigned kernel, const smtp_shuffle_tables *tables, const uint8_t *input, size_t count, int32_t *tags) {
    switch (kernel) {
    case SMTP_SHUFFLE_AVX2: return run_avx2(tables, input, count, tags);
    case SMTP_SHUFFLE_SSSE3: return run_ssse3(tables, input, count, tags);
    default: return 0;
    }
}

#else

// No kernel on this architecture: the table automata decide every input.
unsigned smtp_shuffle_kernels(void) { return 0; }

int smtp_shuffle_run(unsigned kernel, const smtp_shuffle_tables *tables, const uint8_t *input, size_t count, int32_t *tags) {
    (void)kernel, (void)tables, (void)input, (void)count, (void)tags;
    return 0;
}

#endif
