// libFuzzer harness for the differential target: the properties are in
// Sources/FuzzProperties/DifferentialProperties.swift of the root package. Not main.swift:
// libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDifferential(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.differential.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Loads the four grammar profiles before the first input, so the load is
/// not counted against the first input's time.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzDifferentialInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    _ = DifferentialProperties.entries.count
    return 0
}
