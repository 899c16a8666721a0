// libFuzzer harness for the parser target: the properties are in
// Sources/FuzzProperties/ParserProperties.swift of the root package. Not main.swift:
// libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.parser.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
