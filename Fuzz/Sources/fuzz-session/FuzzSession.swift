// libFuzzer harness for the session target: the properties are in
// Sources/FuzzProperties/SessionProperties.swift of the root package. Not main.swift:
// libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.session.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
