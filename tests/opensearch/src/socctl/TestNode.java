package socctl;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch on 127.0.0.1 for socctl's tests: the core node with the transport,
 * Painless and common-analysis modules on the classpath, no security plugin.
 * Usage: TestNode HOME HTTP_PORT (data and logs go under HOME).
 */
public final class TestNode extends Node {
    TestNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(env, plugins, true);
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        Settings settings = Settings.builder()
            .put("cluster.name", "socctl-test")
            .put("node.name", "socctl-test-node")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", 0)
            .put("discovery.type", "single-node")
            .build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), null, () -> "socctl-test-node");
        TestNode node = new TestNode(
            env, List.of(Netty4Plugin.class, PainlessPlugin.class, CommonAnalysisPlugin.class));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        node.start();
        Thread.currentThread().join();
    }
}
