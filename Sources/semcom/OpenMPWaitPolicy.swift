import Foundation

/// oneDNN runs on libgomp, whose threads by default spin between parallel regions. On an idle machine that
/// saves ~10 % of a forward; when anything else wants the cores (a daemon's frame workers, another
/// process) spinning threads and descheduled ones wait on each other, and a guided forward on 2 cores
/// went from 0.51 s (passive) to 2.29 s (spinning, measured side by side, BENCHMARKS.md). So semcom runs
/// with `OMP_WAIT_POLICY=passive` unless the variable is set (`OMP_WAIT_POLICY=active` for benchmarks on
/// an idle machine).
enum OpenMPWaitPolicy {
    /// libgomp reads its environment when it is loaded, before `main`: with the variable unset, set it and
    /// start the same program again (once; if the exec fails, semcom goes on with libgomp's default).
    static func ensurePassive() {
        guard getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "passive", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
