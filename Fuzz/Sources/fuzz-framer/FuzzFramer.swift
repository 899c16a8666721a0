// libFuzzer harness for the framer target: the properties are in
// Sources/FuzzProperties/FramerProperties.swift of the root package. Not main.swift:
// libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.framer.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
