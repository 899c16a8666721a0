import ABNFCompiler
import ArgumentParser

struct Vendor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the verified parser, and the targets it needs, into another package's source tree.",
        discussion: """
            Copies Sources/SMTPCommandParser (hand-written Swift, Generated/ and Grammar/) to DEST, \
            for example OtherPackage/Sources/SMTPCommandParser, and each target it needs into a \
            folder of its name beside DEST (the automaton runtime). Every source file gets a \
            provenance header: the grammar files' SHA-256, the generator version, and the last \
            verification recorded in VERIFICATION.md. Refuses when generated code is out of date.

            Then paste the target declarations it prints into the other package's Package.swift. \
            The vendored targets import only the Swift standard library and each other, and need \
            no unsafe flags.
            """)

    @OptionGroup var package: PackageOptions
    @Argument(help: "The parser's folder in the other package, e.g. OtherPackage/Sources/SMTPCommandParser.")
    var destination: String

    func run() throws {
        let result = try Vendoring.vendor(packagePath: package.packagePath, to: destination)
        for file in result.copied { print("copied \(file)") }
        print("\(result.copied.count) files vendored beside \(destination)")
        print("Declare these targets in the other package's Package.swift:")
        for declaration in result.declarations { print("    \(declaration),") }
    }
}
