// The core rules of RFC 5234 Appendix B.1, built into every grammar.
// Written as ABNF and read by our own parser, so they follow the same path as
// every grammar file.

enum CoreRules {
    static let file = "<RFC 5234 Appendix B>"

    static let text = """
        ALPHA  = %x41-5A / %x61-7A   ; A-Z / a-z
        BIT    = "0" / "1"
        CHAR   = %x01-7F             ; any 7-bit US-ASCII character, excluding NUL
        CR     = %x0D                ; carriage return
        CRLF   = CR LF               ; Internet standard newline
        CTL    = %x00-1F / %x7F      ; controls
        DIGIT  = %x30-39             ; 0-9
        DQUOTE = %x22                ; " (Double Quote)
        HEXDIG = DIGIT / "A" / "B" / "C" / "D" / "E" / "F"
        HTAB   = %x09                ; horizontal tab
        LF     = %x0A                ; linefeed
        LWSP   = *(WSP / CRLF WSP)   ; linear-white-space
        OCTET  = %x00-FF             ; 8 bits of data
        SP     = %x20
        VCHAR  = %x21-7E             ; visible (printing) characters
        WSP    = SP / HTAB           ; white space

        """

    static let rules: [Rule] = {
        // The text above is fixed and known to parse; a failure here is a bug in the parser.
        let definitions = try! GrammarParser.parse(text, file: file)
        return definitions.map {
            Rule(name: $0.name, element: $0.element, location: .core, annotations: [], isCore: true)
        }
    }()
}
