// The automaton runtime (Automaton, CaptureTags, MatchOutcome) is part of this
// module's API: callers that import SMTPCommandParser keep seeing it.
@_exported import SMTPParserRuntime
