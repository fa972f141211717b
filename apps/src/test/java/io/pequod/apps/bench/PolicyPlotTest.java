package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench policy}'s plot: well-formed SVG, one line per mode in each panel, a legend naming them. */
class PolicyPlotTest {
    @Test
    void thePlotHasOneLinePerModeInBothPanels() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode().put("nusers", 5000).put("rounds", 3);
        ArrayNode points = out.putArray("points");
        int[] pactive = {1, 10, 50, 100};
        for (int i = 0; i < pactive.length; i++) {
            ObjectNode p = points.addObject().put("pactive", pactive[i]);
            p.putObject("partial").put("cpu_s", 40 + 10 * i).put("timeline_rows", 19_000 + 90_000 * i);
            p.putObject("eager").put("cpu_s", 57).put("timeline_rows", 305_870);
            p.putObject("cpp-hybrid").put("cpu_s", 0.5 + 0.3 * i);
        }
        String svg = PolicyBenchmark.svg(out);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", d.getDocumentElement().getTagName());
        // CPU: three lines; rows: two (the C++ server reports none)
        assertEquals(5, d.getElementsByTagName("path").getLength(), svg);
        assertTrue(svg.contains(">partial<") && svg.contains(">eager<") && svg.contains(">cpp-hybrid<"), svg);
        assertTrue(svg.contains(">100%<") && svg.contains(">1%<"), svg);
    }
}
