"""DynamoDB's expressions: the grammar and parser (:mod:`.parse`), the parsed forms
(:mod:`.ast`), evaluation over items (:mod:`.evaluate`), reserved words (:mod:`.reserved`) and
the legacy conditional parameters (:mod:`.legacy`)."""
