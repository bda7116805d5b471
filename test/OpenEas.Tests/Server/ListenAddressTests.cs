using System.Net;
using OpenEas.Server;

namespace OpenEas.Tests.Server;

public class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:8080", "127.0.0.1", 8080)]
    [InlineData("0.0.0.0:9000", "0.0.0.0", 9000)]
    [InlineData("[::1]:0", "::1", 0)]
    [InlineData("[::]:8080", "::", 8080)]
    [InlineData("localhost:9000", "127.0.0.1", 9000)]
    [InlineData("http://127.0.0.1:80/", "127.0.0.1", 80)]
    [InlineData("HTTP://127.0.0.1:80", "127.0.0.1", 80)]
    [InlineData("http://[::1]:8080/", "::1", 8080)]
    [InlineData("  127.0.0.1:65535  ", "127.0.0.1", 65535)]
    public void Listen_accepts_host_and_port_forms(string listen, string address, int port)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), EasServer.ParseListen(listen));
    }

    [Theory]
    [InlineData("")]
    [InlineData("8080")]
    [InlineData(":8080")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:http")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("example.com:80")]
    [InlineData("https://127.0.0.1:443")]
    [InlineData("http://127.0.0.1:80/api")]
    [InlineData("::1")]
    public void Listen_rejects_anything_else_naming_the_option(string listen)
    {
        var error = Assert.Throws<ArgumentException>(() => EasServer.ParseListen(listen));

        Assert.StartsWith("--listen", error.Message, StringComparison.Ordinal);
    }
}
