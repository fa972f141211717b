package io.pequod.views.spec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JoinSpecParserTest {
    private static JoinSpec parse(String text) {
        return JoinSpecParser.parse("test.pq", text);
    }

    private static String error(String text) {
        return assertThrows(JoinSpecException.class, () -> parse(text)).getMessage();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAddAnotherSpecOnceAndCheckTheCombination() {
        JoinSpec base = JoinSpecParser.parse("a.pq", "table s partitions 8\nt|<u>|<p> = copy p|<p> using s|<u>|<p>");
        JoinSpec more = JoinSpecParser.parse("b.pq", "t|<u>|<p> = copy p|<p> using s|<u>|<p>\nf|<p> = count s|<u>|<p>");
        JoinSpec both = base.plus(more);
        assertEquals(List.of("t", "f"), both.joins().stream().map(Join::sinkTable).toList());
        assertEquals(both, both.plus(more), "adding again changes nothing");
        assertTrue(both.plus(more) == both);
        assertEquals(List.of("f|<p> = count s|<u>|<p>"), both.joinsNotIn(base).stream().map(Join::text).toList());
        JoinSpecException declared = assertThrows(JoinSpecException.class,
                () -> base.plus(JoinSpecParser.parse("c.pq", "\ntable s partitions 4")));
        assertEquals("Invalid join spec c.pq:2:1: table s is declared with 4 partitions here but 8 at a.pq:1:1", declared.getMessage());
        JoinSpecException cycle = assertThrows(JoinSpecException.class,
                () -> both.plus(JoinSpecParser.parse("e.pq", "s|<u>|<p> = copy f|<p> using t|<u>|<p>")));
        assertTrue(cycle.getMessage().contains("cycle between views"), cycle.getMessage());
    }

    @Test
    void shouldParseTwitterTimelineJoin() {
        JoinSpec spec = parse("t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8");
        Join j = spec.joins().get(0);
        assertEquals("t", j.sinkTable());
        assertEquals(Operator.COPY, j.operator());
        assertEquals(2, j.sources().size());
        assertEquals("p", j.valueSource().table());
        assertEquals(Source.Role.USING, j.sources().get(1).role());
        assertEquals(List.of(new Pattern.Literal("t|"), new Pattern.Slot("user", 8), new Pattern.Literal("|"),
                new Pattern.Slot("time", 10), new Pattern.Literal("|"), new Pattern.Slot("poster", 8)), j.sink().elements());
        assertEquals(Set.of("p", "s"), spec.baseTables());
        assertEquals(Set.of("t"), spec.viewTables());
    }

    @Test
    void shouldTakeValueSourceAfterOperatorWhereverItAppears() {
        Join j = parse("ma|<aid>|k|<cid>|<commenter> = using c|<aid>|<cid>|<commenter> copy k|<commenter> where aid:14, cid:7, commenter:7")
                .joins().get(0);
        assertEquals("k", j.valueSource().table());
        assertEquals("c", j.sources().get(0).table());
    }

    @Test
    void shouldCopyFromLastPatternWithoutOperator() {
        Join j = parse("t|<u>|<p> = s|<u>|<p> x|<p>").joins().get(0);
        assertEquals(Operator.COPY, j.operator());
        assertEquals("x", j.valueSource().table());
        assertEquals(Source.Role.USING, j.sources().get(0).role());
    }

    @Test
    void shouldParseSlotsWithoutSeparatorsAndMatchByWidth() {
        Join j = parse("k|<author> = count v|<author><seqid>|<voter> where author:7, seqid:7, voter:7").joins().get(0);
        Pattern v = j.valueSource().pattern();
        Map<String, byte[]> m = v.match(b("v|AAAAAAA0000001|VVVVVVV"));
        assertArrayEquals(b("AAAAAAA"), m.get("author"));
        assertArrayEquals(b("0000001"), m.get("seqid"));
        assertNull(v.match(b("v|AAAAAAA000001|VVVVVVV")), "a key of another length does not match");
        assertEquals(7, v.fixedFirstFieldWidth());
    }

    @Test
    void shouldParseSubscriberStyleFixedSlotsInline() {
        Join j = parse("t|<subscriber:5><time:10><poster:5> = copy p|<poster>|<time> using s|<subscriber>|<poster>").joins().get(0);
        assertEquals(new Pattern.Slot("poster", 5), j.valueSource().pattern().elements().get(1));
        assertArrayEquals(b("t|aaaaa0000000001bbbbb"), j.sink().build(Map.of("subscriber", b("aaaaa"), "time", b("0000000001"),
                "poster", b("bbbbb"))));
    }

    @Test
    void shouldMatchVariableWidthSlotsUpToNextLiteral() {
        Pattern p = parse("t|<user>|<poster> = copy s|<user>|<poster>").joins().get(0).valueSource().pattern();
        Map<String, byte[]> m = p.match(b("s|alice|bob"));
        assertArrayEquals(b("alice"), m.get("user"));
        assertArrayEquals(b("bob"), m.get("poster"));
        assertNull(p.match(b("s|alice")));
        assertNull(p.match(b("x|alice|bob")));
    }

    @Test
    void shouldParseFilterUsingFilterPullCommentsAndSeveralStatements() {
        JoinSpec spec = parse("""
                # celebrity set-up
                t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8

                t|<user>|<time>|<poster> = pull copy ct|<time>|<poster>
                    using filter cs|<user>|<poster>   # continues on an indented line
                    where user:8, time:10, poster:8
                table p partitions 16; x|<a> = count y|<a>|<b> filter z|<b>
                """);
        assertEquals(3, spec.joins().size());
        Join pull = spec.joins().get(1);
        assertTrue(pull.pull());
        assertEquals(Source.Role.FILTER, pull.sources().get(1).role());
        assertEquals(Source.Role.FILTER, spec.joins().get(2).sources().get(1).role());
        assertEquals(16, spec.declaredPartitions("p").orElseThrow());
        assertEquals(Set.of("t"), spec.pullJoins().keySet());
        assertFalse(spec.joins().get(0).pull());
    }

    @Test
    void shouldEndStatementAtNewLineStartingAnotherJoin() {
        JoinSpec spec = parse("a|<x> = count b|<x>|<y>\nc|<x> = count d|<x>|<y>\n");
        assertEquals(2, spec.joins().size());
    }

    @Test
    void shouldParseThreeSourceCountJoin() {
        Join j = parse("k|<author> = count v|<chapter>|<voter> using b|<author>|<book>, c|<book>|<chapter>").joins().get(0);
        assertEquals(3, j.sources().size());
        assertEquals("v", j.valueSource().table());
    }

    @Test
    void shouldParseShippedExamples() throws Exception {
        for (String f : new String[] {"twitter.pq", "newp.pq", "celebrity.pq", "shop.pq"}) {
            JoinSpec spec = JoinSpecParser.parse(Path.of("..", "examples", f));
            assertFalse(spec.joins().isEmpty(), f);
        }
    }

    @Test
    void shouldNameUnboundSinkSlot() {
        assertEquals("Invalid join spec test.pq:1:7: slot <poster> in sink is not bound by any source",
                error("t|<u>|<poster> = copy p|<u>|<time>"));
    }

    @Test
    void shouldRejectSecondOperator() {
        assertEquals("Invalid join spec test.pq:1:24: second operator 'count' in one join (already 'copy' at test.pq:1:9); "
                + "a join has at most one of copy, count, sum, min, max", error("t|<u> = copy p|<u>|<x> count q|<u>"));
    }

    @Test
    void shouldRejectInconsistentSlotWidths() {
        assertEquals("Invalid join spec test.pq:1:44: slot u has inconsistent lengths: 8 at test.pq:1:39 and 4 here",
                error("t|<u>|<x> = copy p|<u>|<x> where x:3, u:8, u:4"));
        assertTrue(error("t|<u:8> = copy p|<u:4>").contains("slot u has inconsistent lengths: 8 at test.pq:1:3 and 4 here"));
    }

    @Test
    void shouldRejectPatternWithoutTable() {
        assertEquals("Invalid join spec test.pq:1:14: expected a pattern such as p|<poster>|<time> after 'copy', found 'p' "
                + "(a pattern needs a table: TABLE|...)", error("t|<u> = copy p"));
        assertEquals("Invalid join spec test.pq:1:9: pattern '<u>|x' has a slot in its table name; the table is the literal text "
                + "before the first '|'", error("t|<u> = <u>|x"));
    }

    @Test
    void shouldRejectSourceTableEqualToSink() {
        assertEquals("Invalid join spec test.pq:1:14: table t used as both source and sink; a join reads other tables",
                error("t|<u> = copy t|<u>|<x>"));
    }

    @Test
    void shouldRejectUnknownKeyword() {
        assertEquals("Invalid join spec test.pq:2:9: unknown keyword 'frobnicate'; allowed: a pattern with '|', copy, count, "
                + "sum, min, max, using, filter, pull, push, partial, and, where, with", error("\nt|<u> = frobnicate copy p|<u>"));
        assertEquals("Invalid join spec test.pq:1:1: unknown keyword 'hello'; a statement is SINK = items or table NAME partitions N",
                error("hello world"));
    }

    @Test
    void shouldRejectCycleBetweenViews() {
        assertEquals("Invalid join spec test.pq:1:1: cycle between views: a <- b <- a; a view cannot depend on itself",
                error("a|<x> = copy b|<x>\nb|<x> = copy a|<x>"));
    }

    @Test
    void shouldRejectVariableSlotFollowedBySlot() {
        assertTrue(error("t|<a><b> = copy p|<a>|<b>").contains("slot <a> was not given a length but is followed by slot <b>"));
    }

    @Test
    void shouldRejectTooManySources() {
        assertEquals("Invalid join spec test.pq:1:50: join has 5 sources; at most 4 are allowed",
                error("t|<a> = copy p|<a> using q|<a> using r|<a> s|<a> u|<a>"));
    }

    @Test
    void shouldRejectUnclosedSlot() {
        assertEquals("Invalid join spec test.pq:1:9: unclosed '<' in 'p|<a'; slots are written <name> or <name:width>",
                error("t|<a> = p|<a"));
    }

    @Test
    void shouldRejectBadTableDeclaration() {
        assertEquals("Invalid join spec test.pq:1:20: expected a partition count from 1 to 10000, found 'many'",
                error("table p partitions many"));
    }

    @Test
    void shouldRejectDisconnectedSource() {
        assertTrue(error("t|<a>|<b> = copy p|<a> using q|<b>").contains("source q|<b> shares no slot with the other sources"));
    }

    @Test
    void shouldAcceptEmptySpec() {
        assertTrue(parse("# nothing\n\n").joins().isEmpty());
    }

    @Test
    void shouldParseSourcesNextToJoins() {
        JoinSpec spec = parse("source c from topic 'db.customers' format debezium-json key 'c|{id:08}' value '{email}'\n"
                + "source o from topic 'orders' format AVRO key 'o|{customer_id:08}|{order_id:010}' value '{total}' start latest\n"
                + "n|<c> = count o|<c>|<o> where c:8, o:10\n");
        assertEquals(2, spec.sources().size());
        SourceDeclaration c = spec.sources().get(0);
        assertEquals("c", c.table());
        assertEquals("db.customers", c.topic());
        assertEquals("debezium-json", c.format().written());
        assertEquals("c|{id:08}", c.key().text());
        assertFalse(c.startLatest());
        assertTrue(spec.sources().get(1).startLatest());
        assertEquals("source o from topic 'orders' format avro key 'o|{customer_id:08}|{order_id:010}' value '{total}' start latest",
                spec.sources().get(1).text());
        assertEquals(Set.of("c", "o"), spec.sourceTables());
        assertTrue(spec.baseTables().containsAll(Set.of("c", "o")));
        assertEquals(1, spec.joins().size());
        assertEquals(spec, spec.plus(parse("source c from topic 'db.customers' format debezium-json key 'c|{id:08}' value '{email}'")));
    }

    @Test
    void shouldNameWhereASourceIsWrong() {
        assertEquals("Invalid join spec test.pq:1:43: unknown format 'xml'; formats are json|avro|debezium-json|debezium-avro|string",
                error("source c from topic 'db.customers' format xml key 'c|{id}' value '{email}'"));
        assertEquals("Invalid join spec test.pq:1:49: unclosed '{'; write {field}, {key.field}, {*} or '{{' for a literal brace",
                error("source c from topic 't' format json key 'c|{id}|{x' value '{email}'"));
        assertEquals("Invalid join spec test.pq:1:41: key template 'x|{id}' must start with the table name and a '|': 'c|...'",
                error("source c from topic 't' format json key 'x|{id}' value '{email}'"));
        assertTrue(error("source c from topic t format json key 'c|{id}' value '1'").startsWith(
                "Invalid join spec test.pq:1:21: expected the topic name in single quotes, found 't'"));
        assertTrue(error("source c from topic 'a b' format json key 'c|{id}' value '1'").contains("not a Kafka topic name"));
        assertTrue(error("source c from topic 't' format json key 'c|{id} value '1'").contains("unclosed quote"));
        assertEquals("Invalid join spec test.pq:2:1: table n is written by joins, so no source can feed it; feed a base table and join it",
                error("n|<c> = count o|<c>|<o>\nsource n from topic 't' format json key 'n|{id}' value '1'"));
        assertTrue(error("source c from topic 't' format json key 'c|{id}' value '1'\n"
                + "source c from topic 't' format json key 'c|{id}' value '2'").contains("declared differently at test.pq:1:1"));
    }
}
