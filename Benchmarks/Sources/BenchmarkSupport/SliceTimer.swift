// How parser-throughput times its workloads, so that figures taken on a
// shared machine compare: the corpus is cut into slices, each round runs
// every workload on each slice in turn (a burst of load from another process
// then slows all of them alike), each workload keeps its fastest run of each
// slice, and its time is the sum over the slices. Time is the thread's CPU
// time: while another process has the core, the clock does not run.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum SliceTimer {
    /// This thread's CPU time, in seconds.
    public static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Seconds per workload over all of `corpus`, each workload run on line
    /// ranges of at most `slice` lines (it returns a count, kept from being
    /// optimised away), best of `rounds` per slice.
    public static func time(
        _ corpus: Corpus, slice: Int = 20_000, rounds: Int, _ workloads: [(Range<Int>) -> Int]
    ) -> [Double] {
        let slices = stride(from: 0, to: corpus.lineCount, by: slice).map { $0..<min($0 + slice, corpus.lineCount) }
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: slices.count), count: workloads.count)
        var sink = 0
        for _ in 0..<rounds {
            for (j, lines) in slices.enumerated() {
                for (k, workload) in workloads.enumerated() {
                    let start = cpuSeconds()
                    sink &+= workload(lines)
                    best[k][j] = min(best[k][j], cpuSeconds() - start)
                }
            }
        }
        if sink == .min { print("") }  // keeps the counts alive
        return best.map { $0.reduce(0, +) }
    }
}
