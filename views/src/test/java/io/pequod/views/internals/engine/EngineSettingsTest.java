package io.pequod.views.internals.engine;

import io.pequod.schemas.TableTopics;
import io.pequod.views.ViewEngine;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.internals.processor.AckCounter;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's settings, names and lifecycle, without a broker. */
class EngineSettingsTest {
    @Test
    void invalidSettingsAreRefusedNamingTheSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> new EngineConfig(Map.of(EngineConfig.PARTITIONS, 0)));
        assertEquals("Invalid value 0 for configuration pequod.partitions: Value must be at least 1", e.getMessage());
        e = assertThrows(ConfigException.class, () -> new EngineConfig(Map.of(EngineConfig.NAMESPACE, "no spaces")));
        assertTrue(e.getMessage().contains("pequod.namespace"), e.getMessage());
        assertThrows(ConfigException.class, () -> new EngineConfig(Map.of(EngineConfig.COMMIT_INTERVAL_MS, "soon")));
    }

    @Test
    void streamsSettingsPassThroughButTheAckCounterStays() {
        EngineConfig c = new EngineConfig(Map.of(EngineConfig.BOOTSTRAP_SERVERS, "localhost:1",
                "streams.producer.linger.ms", "1", "streams.num.standby.replicas", "1",
                "streams.producer.interceptor.classes", "x.Y"));
        Properties p = new StreamsSettings(c, Path.of("/tmp/state"), "h:7070", "pequod-i1").properties("ns-tables");
        assertEquals("1", p.get("producer.linger.ms"));
        assertEquals("1", p.get("num.standby.replicas"));
        assertEquals(AckCounter.class.getName(), p.get("producer.interceptor.classes"));
        assertEquals("ns-tables", p.get("application.id"));
        assertEquals("h:7070", p.get("application.server"));
        assertEquals(1000, p.get("commit.interval.ms"));
        assertEquals("pequod-i1", p.get("group.instance.id"));
        EngineConfig eos = new EngineConfig(Map.of(EngineConfig.BOOTSTRAP_SERVERS, "localhost:1", EngineConfig.EXACTLY_ONCE, "true"));
        assertEquals(100, new StreamsSettings(eos, Path.of("/tmp/state"), null, null).properties("a").get("commit.interval.ms"));
    }

    @Test
    void theNewStreamsRebalanceProtocolGetsNoInstanceIdForItRefusesStaticMembership() {
        EngineConfig c = new EngineConfig(Map.of(EngineConfig.BOOTSTRAP_SERVERS, "localhost:1", "streams.group.protocol", "streams"));
        Properties p = new StreamsSettings(c, Path.of("/tmp/state"), null, "pequod-i1").properties("a");
        assertEquals("streams", p.get("group.protocol"));
        assertFalse(p.containsKey("group.instance.id"), p.toString());
    }

    @Test
    void everyNameComesFromOnePlace() {
        EngineNames n = new EngineNames(TableTopics.of("ns"));
        assertEquals("ns-tables2", n.mainTablesApplication());
        assertEquals("ns-table2-x", n.lateTableApplication("x"));
        assertEquals("ns-view-t-abcd0123-g2", n.viewApplication("t", "abcd0123", 2));
        assertEquals("ns-tables2-table-t-changelog", EngineNames.changelog(n.mainTablesApplication(), "t"));
        assertTrue(EngineNames.isRepartitionTopic("ns-view-t-abcd0123-g2", "ns-view-t-abcd0123-g2-j0-group-repartition"));
        assertEquals("ns-meta", n.metaTopic());
        assertEquals(n.tablesApplication(List.of("a", "b")), n.tablesApplication(List.of("a", "b")), "the same on every instance");
    }

    @Test
    void anInstanceKeepsItsIdentityInItsStateDirectory() throws Exception {
        Path dir = Files.createTempDirectory("pequod-identity-");
        ViewEngine.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl("http://127.0.0.1:1").stateDir(dir).build().close();
        String id = Files.readString(dir.resolve("pequod-instance.id")).trim();
        assertTrue(id.startsWith("pequod-"), id);
        ViewEngine.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl("http://127.0.0.1:1").stateDir(dir).build().close();
        assertEquals(id, Files.readString(dir.resolve("pequod-instance.id")).trim(), "the same after a restart");
        Path other = Files.createTempDirectory("pequod-identity-");
        ViewEngine.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl("http://127.0.0.1:1").stateDir(other).build().close();
        assertTrue(!id.equals(Files.readString(other.resolve("pequod-instance.id")).trim()), "another instance, another id");
    }

    @Test
    void theEngineIsAStateMachine() {
        ViewEngine e = ViewEngine.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl("http://127.0.0.1:1")
                .stateDir(Path.of("target", "lifecycle-test")).build();
        assertEquals(ViewEngine.State.CREATED, e.engineState());
        assertThrows(IllegalStateException.class, () -> e.rebuild("t"), "not running yet");
        e.close();
        assertEquals(ViewEngine.State.NOT_RUNNING, e.engineState());
        IllegalStateException x = assertThrows(IllegalStateException.class, e::start);
        assertTrue(x.getMessage().contains("NOT_RUNNING"), x.getMessage());
        e.close(); // closing twice is harmless
        assertEquals(ViewEngine.State.NOT_RUNNING, e.engineState());
    }

    @Test
    void transitionsAreChecked() {
        StateMachine<ViewEngine.State> m = new StateMachine<>("engine x", ViewEngine.State.CREATED, Map.of(
                ViewEngine.State.CREATED, Set.of(ViewEngine.State.STARTING),
                ViewEngine.State.STARTING, Set.of(ViewEngine.State.RUNNING),
                ViewEngine.State.RUNNING, Set.of(ViewEngine.State.ERROR)));
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> m.move(ViewEngine.State.RUNNING));
        assertEquals("engine x cannot go from CREATED to RUNNING", x.getMessage());
        m.move(ViewEngine.State.STARTING);
        assertFalse(m.moveIf(ViewEngine.State.CREATED, ViewEngine.State.STARTING), "not from another state");
        m.move(ViewEngine.State.RUNNING);
        assertTrue(m.moveIf(ViewEngine.State.RUNNING, ViewEngine.State.ERROR));
        assertFalse(m.canMove(ViewEngine.State.RUNNING), "ERROR is final here");
        assertEquals(ViewEngine.State.ERROR, m.state());
    }
}
