package io.pequod.views.spec;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The parser returns a spec or throws JoinSpecException, never anything else, whatever the input. */
class JoinSpecParserFuzzTest {
    @Property(tries = 3000)
    boolean shouldOnlyEverThrowJoinSpecException(@ForAll("specish") String text) {
        try {
            JoinSpecParser.parse("fuzz.pq", text);
        } catch (JoinSpecException expected) {
            return expected.getMessage().startsWith("Invalid join spec fuzz.pq:") && !expected.getMessage().contains("internal parser error");
        }
        return true;
    }

    @Property(tries = 1000)
    boolean shouldSurviveArbitraryText(@ForAll String text) {
        try {
            JoinSpecParser.parse("any.pq", text);
        } catch (JoinSpecException expected) {
            return !expected.getMessage().contains("internal parser error");
        }
        return true;
    }

    @Provide
    Arbitrary<String> specish() {
        Arbitrary<String> token = Arbitraries.of("t|", "p|", "s|", "<user>", "<time:10>", "<:5>", "<poster>", "|", "<", ">", ":",
                " ", " ", "\n", "\n\n", ",", ";", "=", " = ", "copy ", "count ", "sum ", "min ", "max ", "using ", "filter ",
                "pull ", "push ", "and ", "where ", "user:8", "time:10", "poster8", "table ", "partitions ", "16", "#c", "x", "k|<a>",
                "<a><b>", "<a:3><b>", "t|<a>=copy s|<a>|<b>", "v|<author><seqid>|<voter>");
        return token.list().ofMaxSize(25).map(l -> String.join("", l));
    }
}
