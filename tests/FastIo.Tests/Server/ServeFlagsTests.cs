using FastIo.Server;
using NUnit.Framework;

namespace FastIo.Tests.Server;

/// <summary>The <c>fastio serve</c> flags of docs/deploy.md: the sticky cookie and CORS with credentials.</summary>
[TestFixture]
public class ServeFlagsTests
{
    private static Dictionary<string, string?> Flags(params string[] args) => CommandLine.ParseFlags(args);

    [Test]
    public void WithoutTheFlagsThereIsNoCookieAndNoCors()
    {
        Assert.That(CommandLine.SessionCookie(Flags("--port", "3000")), Is.Null);
        Assert.That(CommandLine.CredentialedCors(Flags("--port", "3000")), Is.Null);
    }

    [Test]
    public void CookieAloneIsEngineIOsIoCookie()
    {
        var cookie = CommandLine.SessionCookie(Flags("--cookie", "--port", "3000"))!;
        Assert.That(cookie.Format("abc"), Is.EqualTo("io=abc; Path=/; HttpOnly; SameSite=Lax"));
    }

    [Test]
    public void CookieTakesANameSameSiteAndSecure()
    {
        var cookie = CommandLine.SessionCookie(Flags("--cookie", "sticky", "--cookie-same-site", "None", "--cookie-secure"))!;
        Assert.That(cookie.Format("abc"), Is.EqualTo("sticky=abc; Path=/; HttpOnly; Secure; SameSite=None"));
    }

    [TestCase("--cookie-secure")]
    [TestCase("--cookie-same-site", "None")]
    public void CookieAttributesNeedTheCookie(params string[] args) =>
        Assert.Throws<FormatException>(() => CommandLine.SessionCookie(Flags(args)));

    [Test]
    public void SameSiteIsOneOfTheThreeValues() =>
        Assert.That(() => CommandLine.SessionCookie(Flags("--cookie", "--cookie-same-site", "lax")), Throws.TypeOf<FormatException>().With.Message.Contains("Lax, Strict or None"));

    [Test]
    public void CorsOriginAllowsThoseOriginsWithCredentials()
    {
        var cors = CommandLine.CredentialedCors(Flags("--cors-origin", "https://app.example, https://admin.example"))!;
        Assert.That(cors.Credentials, Is.True);
        Assert.That(cors.AllowOriginFor("https://admin.example"), Is.EqualTo("https://admin.example"));
        Assert.That(cors.AllowOriginFor("https://evil.example"), Is.Null);
    }

    [TestCase("*")]
    [TestCase("https://app.example,*")]
    [TestCase("")]
    public void CorsOriginRefusesTheWildcardAndNothing(string origins) =>
        Assert.Throws<FormatException>(() => CommandLine.CredentialedCors(Flags("--cors-origin=" + origins)));

    [Test]
    public void CorsOriginWithoutAValueIsRefused() =>
        Assert.Throws<FormatException>(() => CommandLine.CredentialedCors(Flags("--cors-origin")));
}
