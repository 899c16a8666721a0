// libFuzzer harness for the kernel target (the SIMD kernel path against the
// table automata): the properties are in Sources/FuzzProperties/KernelProperties.swift
// of the root package. Not main.swift: libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKernel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.kernel.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
