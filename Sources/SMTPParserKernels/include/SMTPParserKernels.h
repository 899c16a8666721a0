// The parser's SIMD kernel: one automaton step per input byte with a byte
// shuffle, for the shuffle automata that `abnfc generate` derives from the
// grammar (SMTPParserRuntime/ShuffleAutomaton.swift). Each kernel function is
// compiled for its instruction set with a target attribute and chosen at run
// time by a CPU check, so the target needs no compiler flags.

#ifndef SMTP_PARSER_KERNELS_H
#define SMTP_PARSER_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The longest input a kernel reads; longer inputs are left to the table automaton.
#define SMTP_SHUFFLE_MAX_INPUT 512
/// Tag sets a shuffle automaton may have (on transitions and at the end).
#define SMTP_SHUFFLE_MAX_SETS 32

/// Kernels, as bits of smtp_shuffle_kernels().
enum {
    SMTP_SHUFFLE_SSSE3 = 1,
    SMTP_SHUFFLE_AVX2 = 2,
};

/// One shuffle automaton's tables. States are 0 (dead) to 15; after the
/// literal prefix, the run starts in state 1.
typedef struct smtp_shuffle_tables {
    /// 16 bytes per byte value, 16-byte aligned: rows[byte * 16 + state] is the
    /// target state (bits 0-3) and the tag set the transition sets (bits 4-6, 0: none).
    const uint8_t *rows;
    /// The literal prefix, letters that match in either case in lower case,
    /// and per byte the bits to OR into the input first (0x20 on those
    /// letters) and 0xFF for the bytes that belong to the prefix.
    uint8_t prefix[16];
    uint8_t prefix_fold[16];
    uint8_t prefix_keep[16];
    uint8_t prefix_length;
    /// Per state: 0 rejects, k > 0 accepts, setting the tags of set k at the end of input.
    uint8_t accept[16];
    /// Per tag set: the tags it sets (bit t: tag t of the capture record), and
    /// its lowest tag (16 when it sets none).
    uint16_t set_tags[SMTP_SHUFFLE_MAX_SETS];
    uint8_t first_tag[SMTP_SHUFFLE_MAX_SETS];
    /// Whether every tag set on a transition sets at most one tag.
    uint8_t single_tag_sets;
    /// Per state: the most consecutive bytes it may read (0: no limit), and
    /// whether any state has a limit (then the run's states are checked after it).
    uint16_t run_limit[16];
    uint8_t has_limits;
} smtp_shuffle_tables;

/// The kernels this CPU can run (SMTP_SHUFFLE_* bits); 0 when there is none.
unsigned smtp_shuffle_kernels(void);

/// Runs `tables` over input[0..<count] with `kernel` (one SMTP_SHUFFLE_* bit):
/// the prefix, then the automaton over the rest. When the automaton accepts
/// and no state ran past its limit, sets each tag the run sets in `tags` (16
/// entries) to the offset where it is set, leaves the others, and returns the
/// accept value (> 0). Otherwise returns 0 and leaves `tags` alone: the input
/// is rejected, incomplete, longer than SMTP_SHUFFLE_MAX_INPUT, or the kernel
/// is not available, and the caller asks the table automaton, which decides
/// every input.
int smtp_shuffle_run(unsigned kernel, const smtp_shuffle_tables *tables, const uint8_t *input, size_t count, int32_t *tags);

#endif
