//! The image the benchmark evaluates: a Windows Server 2019 Server Core image
//! (build 17763) with IIS, .NET Framework 4.8, the .NET 6 and 8 runtimes and
//! three ASP.NET Core applications, built in code on the inventory model.

use winspect_inventory::{
    Date, DotNetRuntime, DotNetVersion, EnvVar, ExposedPort, File, IisAppPool, IisApplication,
    IisBinding, IisModule, IisRequestFiltering, IisSite, ImageLayer, Inventory, Label,
    NuGetPackage, PowerShellInstall, PowerShellModule, Program, RegistryValue, SchannelProtocol,
    SchannelSetting, SemVersion, Service, Update, WebConfig, WindowsVersion,
};

use crate::Rng;

pub const BUILD: u32 = 17763;
pub const UBR: u32 = 5830;

const BASE: &str = "sha256:4f6b8e1c0d2a9e7b3c5d1f0a8e6b4c2d0f9e7a5c3b1d8f6e4a2c0b9d7f5e3a1c";
const UPDATE: &str = "sha256:9a1c3e5b7d0f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c";
const FEATURES: &str = "sha256:2c4e6a8b0d1f3e5a7c9b2d4f6e8a0c1b3d5e7f9a2c4b6d8e0f1a3c5b7d9e2f4a";
const APP: &str = "sha256:7e9c1a3b5d7f0e2c4a6b8d0f1e3c5a7b9d2f4e6c8a0b1d3f5e7c9a2b4d6f8e0c";

fn layer(digest: &str) -> Option<String> {
    Some(digest.to_owned())
}

fn winver(text: &str) -> Option<WindowsVersion> {
    Some(WindowsVersion::parse(text).expect("a windows version"))
}

fn dotnet(text: &str) -> Option<DotNetVersion> {
    Some(DotNetVersion::parse(text).expect("a dotnet version"))
}

/// Shared runtimes: (framework, version).
pub const RUNTIMES: &[(&str, &str)] = &[
    ("Microsoft.NETCore.App", "6.0.25"),
    ("Microsoft.NETCore.App", "8.0.0"),
    ("Microsoft.AspNetCore.App", "6.0.25"),
    ("Microsoft.AspNetCore.App", "8.0.0"),
];

/// NuGet packages the applications reference, with the versions they use.
pub const PACKAGES: &[(&str, &str)] = &[
    ("Newtonsoft.Json", "12.0.3"),
    ("Microsoft.Data.SqlClient", "5.1.1"),
    ("System.Text.Json", "8.0.0"),
    ("Serilog", "3.1.1"),
    ("Serilog.Sinks.Console", "5.0.1"),
    ("Dapper", "2.1.24"),
    ("AutoMapper", "12.0.1"),
    ("FluentValidation", "11.8.0"),
    ("MediatR", "12.2.0"),
    ("Polly", "8.2.0"),
    ("StackExchange.Redis", "2.7.10"),
    ("Microsoft.EntityFrameworkCore", "8.0.0"),
    ("Microsoft.EntityFrameworkCore.SqlServer", "8.0.0"),
    ("Swashbuckle.AspNetCore", "6.5.0"),
    ("Microsoft.Extensions.Logging", "8.0.0"),
    ("Azure.Identity", "1.10.4"),
    ("Azure.Storage.Blobs", "12.19.1"),
    ("System.IdentityModel.Tokens.Jwt", "7.0.3"),
    ("Microsoft.IdentityModel.JsonWebTokens", "7.0.3"),
    ("BouncyCastle.Cryptography", "2.2.1"),
    ("SharpZipLib", "1.4.2"),
    ("HtmlSanitizer", "8.0.746"),
    ("System.Drawing.Common", "8.0.0"),
    ("Npgsql", "8.0.1"),
    ("MongoDB.Driver", "2.23.1"),
    ("RestSharp", "110.2.0"),
    ("Grpc.Net.Client", "2.59.0"),
    ("Google.Protobuf", "3.25.1"),
    ("YamlDotNet", "13.7.1"),
    ("CsvHelper", "30.0.1"),
    ("NLog", "5.2.8"),
    ("log4net", "2.0.15"),
    ("Hangfire.Core", "1.8.6"),
    ("MailKit", "4.3.0"),
    ("MimeKit", "4.3.0"),
    ("Microsoft.AspNetCore.Authentication.JwtBearer", "8.0.0"),
    ("System.Net.Http", "4.3.4"),
    ("System.Text.RegularExpressions", "4.3.1"),
    ("Microsoft.Identity.Client", "4.58.1"),
    ("SixLabors.ImageSharp", "3.1.0"),
    ("Microsoft.Extensions.AI", "9.0.0-preview.9.24507.7"),
    ("System.Security.Cryptography.Pkcs", "8.0.0"),
];

pub const APPS: &[&str] = &["Shop.Web", "Shop.Api", "Shop.Worker"];

/// (name, physical path, pool, bindings as (protocol, port, host, ssl flags),
/// directory browse, basic, windows, detailed errors, logging).
type SiteSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, u16, &'static str, u32)],
    [bool; 5],
);

pub const SITES: &[SiteSpec] = &[
    (
        "Default Web Site",
        r"C:\inetpub\wwwroot",
        "DefaultAppPool",
        &[("http", 80, "", 0)],
        [false, false, false, false, true],
    ),
    (
        "shop",
        r"C:\inetpub\shop",
        "shop",
        &[("http", 8080, "", 0), ("https", 443, "shop.contoso.com", 1)],
        [false, true, false, true, true],
    ),
    (
        "api",
        r"C:\inetpub\api",
        "api",
        &[
            ("https", 8443, "api.contoso.com", 1),
            ("net.tcp", 808, "", 0),
        ],
        [false, false, false, false, true],
    ),
    (
        "files",
        r"C:\inetpub\files",
        "files",
        &[("http", 8081, "", 0)],
        [true, false, false, false, true],
    ),
    (
        "admin",
        r"C:\inetpub\admin",
        "legacy",
        &[("https", 9443, "", 0), ("http", 9080, "", 0)],
        [false, true, true, false, true],
    ),
    (
        "status",
        r"C:\inetpub\status",
        "DefaultAppPool",
        &[("http", 8090, "", 0)],
        [true, false, false, false, false],
    ),
];

/// (name, identity, CLR, pipeline, 32-bit).
pub const APP_POOLS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "DefaultAppPool",
        "ApplicationPoolIdentity",
        "v4.0",
        "Integrated",
        false,
    ),
    ("shop", "ApplicationPoolIdentity", "", "Integrated", false),
    ("api", "NetworkService", "", "Integrated", false),
    ("files", "ApplicationPoolIdentity", "v4.0", "Classic", false),
    ("legacy", "LocalSystem", "v2.0", "Classic", true),
];

pub const IIS_MODULES: &[&str] = &[
    "UriCacheModule",
    "FileCacheModule",
    "TokenCacheModule",
    "HttpCacheModule",
    "DynamicCompressionModule",
    "StaticCompressionModule",
    "DefaultDocumentModule",
    "DirectoryListingModule",
    "ProtocolSupportModule",
    "HttpRedirectionModule",
    "StaticFileModule",
    "AnonymousAuthenticationModule",
    "BasicAuthenticationModule",
    "WindowsAuthenticationModule",
    "UrlAuthorizationModule",
    "RequestFilteringModule",
    "CustomErrorModule",
    "HttpLoggingModule",
    "FailedRequestsTracingModule",
    "IsapiModule",
    "IsapiFilterModule",
    "WebDAVModule",
    "AspNetCoreModuleV2",
    "ManagedEngine64",
    "ConfigurationValidationModule",
];

/// (path, debug, customErrors).
pub const WEB_CONFIGS: &[(&str, bool, &str)] = &[
    ("inetpub/wwwroot/web.config", false, ""),
    ("inetpub/shop/web.config", true, "RemoteOnly"),
    ("inetpub/shop/v1/web.config", false, "On"),
    ("inetpub/api/web.config", false, "Off"),
    ("inetpub/files/web.config", false, ""),
    ("inetpub/admin/web.config", true, "Off"),
    ("inetpub/admin/legacy/web.config", true, "Off"),
    ("inetpub/status/web.config", false, "RemoteOnly"),
];

pub const PS_MODULES: &[(&str, &str)] = &[
    ("PackageManagement", "1.0.0.1"),
    ("PowerShellGet", "1.0.0.1"),
    ("PSReadLine", "2.0.0"),
    ("Pester", "3.4.0"),
    ("WebAdministration", "1.0.0.0"),
    ("IISAdministration", "1.1.0.0"),
    ("Microsoft.PowerShell.Archive", "1.0.1.0"),
    ("Az.Accounts", "2.15.0"),
    ("Az.Storage", "6.1.0"),
    ("SqlServer", "22.1.1"),
    ("Microsoft.PowerShell.Management", "3.1.0.0"),
    ("Microsoft.PowerShell.Utility", "3.1.0.0"),
    ("Microsoft.PowerShell.Security", "3.0.0.0"),
    ("CimCmdlets", "1.0.0.0"),
    ("Dism", "3.0"),
    ("NetSecurity", "2.0.0.0"),
    ("NetTCPIP", "1.0.0.0"),
    ("ScheduledTasks", "1.0.0.0"),
    ("ServerManager", "2.0.0.0"),
    ("SmbShare", "2.0.0.0"),
    ("Storage", "2.0.0.0"),
    ("TLS", "2.0.0.0"),
    ("WindowsErrorReporting", "1.0"),
    ("PKI", "1.0.0.0"),
    ("Defender", "1.0"),
    ("DnsClient", "1.0.0.0"),
    ("BitsTransfer", "2.0.0.0"),
    ("xWebAdministration", "3.2.0"),
    ("dbatools", "2.0.4"),
    ("PSWindowsUpdate", "2.2.0.3"),
];

/// (name, version, publisher).
pub const PROGRAMS: &[(&str, &str, &str)] = &[
    (
        "Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33130",
        "14.38.33130.0",
        "Microsoft Corporation",
    ),
    (
        "Microsoft Visual C++ 2013 Redistributable (x64) - 12.0.30501",
        "12.0.30501.0",
        "Microsoft Corporation",
    ),
    (
        "Microsoft Visual C++ 2010  x64 Redistributable - 10.0.40219",
        "10.0.40219",
        "Microsoft Corporation",
    ),
    (
        "Microsoft .NET Runtime - 8.0.0 (x64)",
        "64.0.23532",
        "Microsoft Corporation",
    ),
    (
        "Microsoft .NET Runtime - 6.0.25 (x64)",
        "48.100.20923",
        "Microsoft Corporation",
    ),
    (
        "Microsoft ASP.NET Core 8.0.0 - Shared Framework (x64)",
        "8.0.0.23531",
        "Microsoft Corporation",
    ),
    (
        "Microsoft ASP.NET Core 8.0.0 Hosting Bundle Options",
        "8.0.0.23531",
        "Microsoft Corporation",
    ),
    (
        "IIS URL Rewrite Module 2",
        "7.2.1993",
        "Microsoft Corporation",
    ),
    (
        "Microsoft Web Deploy 3.6",
        "10.0.5923",
        "Microsoft Corporation",
    ),
    (
        "Microsoft Application Request Routing 3.0",
        "7.1.1952.0",
        "Microsoft Corporation",
    ),
    (
        "Microsoft ODBC Driver 17 for SQL Server",
        "17.10.5.1",
        "Microsoft Corporation",
    ),
    (
        "Microsoft OLE DB Driver for SQL Server",
        "18.6.7.0",
        "Microsoft Corporation",
    ),
    ("Git", "2.43.0", "The Git Development Community"),
    ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
    ("Node.js", "18.19.0", "Node.js Foundation"),
    (
        "Python 3.11.7 (64-bit)",
        "3.11.7150.0",
        "Python Software Foundation",
    ),
    ("PowerShell 7-x64", "7.4.1.0", "Microsoft Corporation"),
    (
        "Microsoft Monitoring Agent",
        "10.20.18067.0",
        "Microsoft Corporation",
    ),
    (
        "OpenSSL 3.1.4 (64-bit)",
        "3.1.4",
        "OpenSSL Win64 Installer Team",
    ),
    ("Notepad++ (64-bit x64)", "8.6", "Notepad++ Team"),
    (
        "Java 8 Update 391 (64-bit)",
        "8.0.3910.13",
        "Oracle Corporation",
    ),
    ("Contoso Shop Agent", "4.2.0.17", "Contoso Ltd."),
    ("Contoso Telemetry", "1.9.3", "Contoso Ltd."),
    ("Fabrikam Report Server", "2019.4.0.1120", "Fabrikam, Inc."),
    ("Datadog Agent", "7.50.3.1", "Datadog, Inc."),
    (
        "New Relic .NET Agent (64-bit)",
        "10.20.1.0",
        "New Relic, Inc.",
    ),
    ("WinSCP 6.1.2", "6.1.2", "Martin Prikryl"),
    (
        "Microsoft Edge WebView2 Runtime",
        "120.0.2210.91",
        "Microsoft Corporation",
    ),
    ("Crystal Reports Runtime 13", "13.0.33.4485", "SAP"),
    (
        "Microsoft SQL Server 2019 T-SQL Language Service",
        "15.0.2000.5",
        "Microsoft Corporation",
    ),
    (
        "Microsoft System CLR Types for SQL Server 2019",
        "15.0.2000.5",
        "Microsoft Corporation",
    ),
    (
        "Windows Admin Center Agent",
        "1.5.2306.14001",
        "Microsoft Corporation",
    ),
    ("Filebeat 8.11.3", "8.11.3", "Elastic"),
    ("Zabbix Agent 2 (64-bit)", "6.4.10.2400", "Zabbix SIA"),
    (
        "Wireshark 4.2.0 64-bit",
        "4.2.0",
        "The Wireshark developer community",
    ),
    (
        "Adobe Acrobat Reader DC",
        "23.008.20421",
        "Adobe Systems Incorporated",
    ),
];

/// (name, start type, image path, account).
pub const SERVICES: &[(&str, &str, &str, &str)] = &[
    (
        "AppHostSvc",
        "auto",
        r"C:\Windows\system32\svchost.exe -k apphost",
        "LocalSystem",
    ),
    (
        "W3SVC",
        "auto",
        r"C:\Windows\system32\svchost.exe -k iissvcs",
        "LocalSystem",
    ),
    (
        "WAS",
        "manual",
        r"C:\Windows\system32\svchost.exe -k iissvcs",
        "LocalSystem",
    ),
    (
        "WMSVC",
        "manual",
        r"C:\Windows\system32\inetsrv\WMSvc.exe",
        "NT SERVICE\\WMSVC",
    ),
    (
        "IISADMIN",
        "auto",
        r"C:\Windows\system32\inetsrv\inetinfo.exe",
        "LocalSystem",
    ),
    (
        "MSFTPSVC",
        "disabled",
        r"C:\Windows\system32\inetsrv\ftpsvc.exe",
        "LocalSystem",
    ),
    (
        "aspnet_state",
        "manual",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\aspnet_state.exe",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "Dnscache",
        "auto",
        r"C:\Windows\system32\svchost.exe -k NetworkService -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "LanmanServer",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "LanmanWorkstation",
        "auto",
        r"C:\Windows\System32\svchost.exe -k NetworkService -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "EventLog",
        "auto",
        r"C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "RpcSs",
        "auto",
        r"C:\Windows\system32\svchost.exe -k rpcss -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "RpcEptMapper",
        "auto",
        r"C:\Windows\system32\svchost.exe -k RPCSS -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "Schedule",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "Winmgmt",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "localSystem",
    ),
    (
        "WinRM",
        "auto",
        r"C:\Windows\System32\svchost.exe -k NetworkService -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "CryptSvc",
        "auto",
        r"C:\Windows\system32\svchost.exe -k NetworkService -p",
        "NT Authority\\NetworkService",
    ),
    (
        "BFE",
        "auto",
        r"C:\Windows\system32\svchost.exe -k LocalServiceNoNetworkFirewall -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "mpssvc",
        "auto",
        r"C:\Windows\system32\svchost.exe -k LocalServiceNoNetworkFirewall -p",
        "NT Authority\\LocalService",
    ),
    (
        "Netlogon",
        "manual",
        r"C:\Windows\system32\lsass.exe",
        "LocalSystem",
    ),
    (
        "W32Time",
        "manual",
        r"C:\Windows\system32\svchost.exe -k LocalService",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "TrustedInstaller",
        "manual",
        r"C:\Windows\servicing\TrustedInstaller.exe",
        "localSystem",
    ),
    (
        "wuauserv",
        "manual",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "BITS",
        "manual",
        r"C:\Windows\System32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "DiagTrack",
        "auto",
        r"C:\Windows\System32\svchost.exe -k utcsvc -p",
        "LocalSystem",
    ),
    (
        "Dhcp",
        "auto",
        r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p",
        "NT Authority\\LocalService",
    ),
    (
        "DcomLaunch",
        "auto",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        "LocalSystem",
    ),
    (
        "gpsvc",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "iphlpsvc",
        "auto",
        r"C:\Windows\System32\svchost.exe -k NetSvcs -p",
        "LocalSystem",
    ),
    (
        "KeyIso",
        "manual",
        r"C:\Windows\system32\lsass.exe",
        "LocalSystem",
    ),
    (
        "LSM",
        "auto",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        "LocalSystem",
    ),
    (
        "netprofm",
        "manual",
        r"C:\Windows\System32\svchost.exe -k LocalService -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "nsi",
        "auto",
        r"C:\Windows\system32\svchost.exe -k LocalService -p",
        "NT Authority\\LocalService",
    ),
    (
        "Power",
        "auto",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        "LocalSystem",
    ),
    (
        "ProfSvc",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "SamSs",
        "auto",
        r"C:\Windows\system32\lsass.exe",
        "LocalSystem",
    ),
    (
        "seclogon",
        "manual",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "SENS",
        "auto",
        r"C:\Windows\System32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "SystemEventsBroker",
        "auto",
        r"C:\Windows\System32\svchost.exe -k DcomLaunch -p",
        "LocalSystem",
    ),
    (
        "Themes",
        "disabled",
        r"C:\Windows\System32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "UserManager",
        "auto",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        "LocalSystem",
    ),
    (
        "VaultSvc",
        "manual",
        r"C:\Windows\system32\lsass.exe",
        "LocalSystem",
    ),
    (
        "WdiServiceHost",
        "manual",
        r"C:\Windows\System32\svchost.exe -k LocalService -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "WerSvc",
        "manual",
        r"C:\Windows\System32\svchost.exe -k WerSvcGroup",
        "localSystem",
    ),
    (
        "WinHttpAutoProxySvc",
        "manual",
        r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "wmiApSrv",
        "manual",
        r"C:\Windows\system32\wbem\WmiApSrv.exe",
        "localSystem",
    ),
    (
        "CertPropSvc",
        "manual",
        r"C:\Windows\system32\svchost.exe -k netsvcs",
        "LocalSystem",
    ),
    (
        "COMSysApp",
        "manual",
        r"C:\Windows\system32\dllhost.exe /Processid:{02D4B3F1-FD88-11D1-960D-00805FC79235}",
        "LocalSystem",
    ),
    (
        "EventSystem",
        "auto",
        r"C:\Windows\system32\svchost.exe -k LocalService -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "msiserver",
        "manual",
        r"C:\Windows\system32\msiexec.exe /V",
        "LocalSystem",
    ),
    (
        "PlugPlay",
        "manual",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        "LocalSystem",
    ),
    (
        "RemoteRegistry",
        "disabled",
        r"C:\Windows\system32\svchost.exe -k localService -p",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "SCardSvr",
        "disabled",
        r"C:\Windows\system32\svchost.exe -k LocalServiceAndNoImpersonation",
        "NT AUTHORITY\\LocalService",
    ),
    (
        "Spooler",
        "disabled",
        r"C:\Windows\System32\spoolsv.exe",
        "LocalSystem",
    ),
    (
        "TermService",
        "manual",
        r"C:\Windows\System32\svchost.exe -k NetworkService",
        "NT Authority\\NetworkService",
    ),
    (
        "TapiSrv",
        "manual",
        r"C:\Windows\System32\svchost.exe -k NetworkService -p",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "VSS",
        "manual",
        r"C:\Windows\system32\vssvc.exe",
        "LocalSystem",
    ),
    (
        "WinDefend",
        "auto",
        r#""C:\ProgramData\Microsoft\Windows Defender\platform\4.18.23110.3-0\MsMpEng.exe""#,
        "LocalSystem",
    ),
    (
        "ContosoShopAgent",
        "auto",
        r#""C:\Program Files\Contoso\ShopAgent\agent.exe" --service"#,
        "LocalSystem",
    ),
    (
        "ContosoTelemetry",
        "auto",
        r#""C:\Program Files\Contoso\Telemetry\telemetry.exe""#,
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "FabrikamReports",
        "manual",
        r#""C:\Program Files\Fabrikam\Reports\ReportServer.exe""#,
        ".\\reports",
    ),
    (
        "datadogagent",
        "auto",
        r#""C:\Program Files\Datadog\Datadog Agent\bin\agent.exe""#,
        "NT AUTHORITY\\LocalService",
    ),
    (
        "filebeat",
        "auto",
        r#""C:\Program Files\Elastic\Beats\8.11.3\filebeat\filebeat.exe" --environment=windows_service"#,
        "LocalSystem",
    ),
    (
        "Zabbix Agent 2",
        "auto",
        r#""C:\Program Files\Zabbix Agent 2\zabbix_agent2.exe" -c "C:\Program Files\Zabbix Agent 2\zabbix_agent2.conf""#,
        "LocalSystem",
    ),
    (
        "HealthService",
        "auto",
        r#""C:\Program Files\Microsoft Monitoring Agent\Agent\HealthService.exe""#,
        "LocalSystem",
    ),
    (
        "HangfireServer",
        "auto",
        r#""C:\app\Shop.Worker.exe" --service"#,
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "ShopApi",
        "manual",
        r#""C:\inetpub\api\Shop.Api.exe""#,
        "LocalSystem",
    ),
    (
        "MSDTC",
        "manual",
        r"C:\Windows\System32\msdtc.exe",
        "NT AUTHORITY\\NetworkService",
    ),
    (
        "sshd",
        "disabled",
        r"C:\Windows\System32\OpenSSH\sshd.exe",
        "LocalSystem",
    ),
    (
        "ssh-agent",
        "disabled",
        r"C:\Windows\System32\OpenSSH\ssh-agent.exe",
        "LocalSystem",
    ),
];

pub const SYSTEM32: &[&str] = &[
    "kernel32.dll",
    "kernelbase.dll",
    "ntdll.dll",
    "user32.dll",
    "gdi32.dll",
    "advapi32.dll",
    "crypt32.dll",
    "bcrypt.dll",
    "ncrypt.dll",
    "schannel.dll",
    "secur32.dll",
    "sspicli.dll",
    "msv1_0.dll",
    "kerberos.dll",
    "lsasrv.dll",
    "lsass.exe",
    "netapi32.dll",
    "ws2_32.dll",
    "mswsock.dll",
    "dnsapi.dll",
    "winhttp.dll",
    "wininet.dll",
    "urlmon.dll",
    "ole32.dll",
    "oleaut32.dll",
    "combase.dll",
    "rpcrt4.dll",
    "shell32.dll",
    "shlwapi.dll",
    "msvcrt.dll",
    "ucrtbase.dll",
    "vcruntime140.dll",
    "msvcp140.dll",
    "win32k.sys",
    "tcpip.sys",
    "http.sys",
    "afd.sys",
    "ntoskrnl.exe",
    "svchost.exe",
    "services.exe",
    "smss.exe",
    "csrss.exe",
    "wininit.exe",
    "winlogon.exe",
    "cmd.exe",
    "conhost.exe",
    "powershell.exe",
    "reg.exe",
    "sc.exe",
    "netsh.exe",
    "certutil.exe",
    "msiexec.exe",
    "dism.exe",
    "wuaueng.dll",
    "wuapi.dll",
    "cryptsp.dll",
    "rsaenh.dll",
    "dpapi.dll",
    "samsrv.dll",
    "samlib.dll",
    "wldap32.dll",
    "msxml3.dll",
    "msxml6.dll",
    "jscript.dll",
    "jscript9.dll",
    "vbscript.dll",
    "mshtml.dll",
    "iertutil.dll",
    "srvsvc.dll",
    "srvnet.sys",
    "mrxsmb.sys",
    "rdpcorets.dll",
    "termsrv.dll",
    "win32kbase.sys",
    "win32kfull.sys",
    "clfs.sys",
    "ntfs.sys",
    "fltmgr.sys",
    "cng.sys",
    "ksecdd.sys",
    "msasn1.dll",
    "wintrust.dll",
    "imagehlp.dll",
    "dbghelp.dll",
    "setupapi.dll",
    "cfgmgr32.dll",
    "devobj.dll",
    "wmi.dll",
    "wbemcomn.dll",
    "fastprox.dll",
    "taskschd.dll",
    "schedsvc.dll",
    "eventlog.dll",
    "wevtapi.dll",
    "wevtsvc.dll",
    "dhcpcore.dll",
    "iphlpapi.dll",
    "nsi.dll",
    "winnsi.dll",
    "fwpuclnt.dll",
    "mpssvc.dll",
    "bfe.dll",
    "authz.dll",
    "credui.dll",
    "cryptui.dll",
    "efslsaext.dll",
    "keyiso.dll",
    "ncryptprov.dll",
    "tokenbinding.dll",
    "webio.dll",
    "httpapi.dll",
    "w32time.dll",
    "userenv.dll",
    "profsvc.dll",
    "gpsvc.dll",
    "sechost.dll",
    "msi.dll",
    "mscoree.dll",
    "clbcatq.dll",
    "msdtcprx.dll",
];

pub const INETSRV: &[&str] = &[
    "iiscore.dll",
    "w3wp.exe",
    "w3dt.dll",
    "w3tp.dll",
    "iisutil.dll",
    "iisw3adm.dll",
    "inetinfo.exe",
    "appcmd.exe",
    "nativerd.dll",
    "hwebcore.dll",
    "cachuri.dll",
    "cachfile.dll",
    "cachtokn.dll",
    "cachhttp.dll",
    "compdyn.dll",
    "compstat.dll",
    "defdoc.dll",
    "dirlist.dll",
    "protsup.dll",
    "redirect.dll",
    "static.dll",
    "authanon.dll",
    "authbas.dll",
    "authsspi.dll",
    "urlauthz.dll",
    "modrqflt.dll",
    "custerr.dll",
    "loghttp.dll",
    "iisfreb.dll",
    "isapi.dll",
    "filter.dll",
    "webdav.dll",
    "iisres.dll",
    "rewrite.dll",
    "validcfg.dll",
    "wmsvc.exe",
    "iisetw.dll",
    "iisreg.dll",
    "aspnetcore.dll",
    "aspnetcorev2.dll",
];

pub const FRAMEWORK64: &[&str] = &[
    "clr.dll",
    "clrjit.dll",
    "mscorlib.dll",
    "System.dll",
    "System.Core.dll",
    "System.Web.dll",
    "System.Data.dll",
    "System.Xml.dll",
    "System.Configuration.dll",
    "System.Security.dll",
    "System.ServiceModel.dll",
    "System.Runtime.Serialization.dll",
    "System.Web.Extensions.dll",
    "System.Net.Http.dll",
    "System.IdentityModel.dll",
    "System.Drawing.dll",
    "webengine4.dll",
    "aspnet_isapi.dll",
    "aspnet_state.exe",
    "aspnet_regiis.exe",
    "ngen.exe",
    "csc.exe",
    "vbc.exe",
    "InstallUtil.exe",
    "RegAsm.exe",
    "mscorsvw.exe",
    "System.EnterpriseServices.dll",
    "System.Transactions.dll",
    "System.DirectoryServices.dll",
    "Microsoft.Build.dll",
];

pub const UPDATES: &[&str] = &[
    "KB5037765",
    "KB5036896",
    "KB5035849",
    "KB5034768",
    "KB5034127",
    "KB5033371",
    "KB5032196",
    "KB5031361",
    "KB5030214",
    "KB5029247",
    "KB5028168",
    "KB5027222",
    "KB5026362",
    "KB5025229",
    "KB5023702",
    "KB5022840",
    "KB5022286",
    "KB5021237",
    "KB5020438",
    "KB5019966",
    "KB5037932",
    "KB5037036",
    "KB5036615",
    "KB5034439",
    "KB5005112",
    "KB4589208",
    "KB5003243",
    "KB4512577",
];

pub const ENV: &[(&str, &str)] = &[
    (
        "PATH",
        r"C:\Windows\system32;C:\Windows;C:\Windows\System32\Wbem;C:\Program Files\dotnet\;C:\Program Files\PowerShell\7\",
    ),
    ("ASPNETCORE_URLS", "http://+:80"),
    ("ASPNETCORE_ENVIRONMENT", "Development"),
    ("DOTNET_RUNNING_IN_CONTAINER", "true"),
    ("COMPlus_EnableDiagnostics", "1"),
    ("APP_ENV", "production"),
    (
        "ConnectionStrings__Shop",
        "Server=sql;Database=shop;User Id=shop;Password=changeme",
    ),
    ("NUGET_XMLDOC_MODE", "skip"),
];

/// (key, value name, kind, data, number).
fn registry_values() -> Vec<(String, &'static str, &'static str, String, Option<u64>)> {
    let lsa = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
    let mut values = vec![
        (
            lsa.to_owned(),
            "LmCompatibilityLevel",
            "REG_DWORD",
            "3".to_owned(),
            Some(3),
        ),
        (
            lsa.to_owned(),
            "NoLMHash",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            lsa.to_owned(),
            "RestrictAnonymous",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            lsa.to_owned(),
            "LimitBlankPasswordUse",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            lsa.to_owned(),
            "EveryoneIncludesAnonymous",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            lsa.to_owned(),
            "DisableDomainCreds",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            lsa.to_owned(),
            "SecureBoot",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            format!(r"{lsa}\MSV1_0"),
            "NtlmMinServerSec",
            "REG_DWORD",
            "536870912".to_owned(),
            Some(536_870_912),
        ),
        (
            format!(r"{lsa}\MSV1_0"),
            "NtlmMinClientSec",
            "REG_DWORD",
            "536870912".to_owned(),
            Some(536_870_912),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".to_owned(),
            "SchUseStrongCrypto",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".to_owned(),
            "SystemDefaultTlsVersions",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319".to_owned(),
            "SchUseStrongCrypto",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full".to_owned(),
            "Release",
            "REG_DWORD",
            "528049".to_owned(),
            Some(528_049),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full".to_owned(),
            "Version",
            "REG_SZ",
            "4.8.03761".to_owned(),
            None,
        ),
        (
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service".to_owned(),
            "AllowBasic",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service".to_owned(),
            "AllowUnencryptedTraffic",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters".to_owned(),
            "DisableServerHeader",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters".to_owned(),
            "EnableHttp2Tls",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters".to_owned(),
            "SMB1",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters".to_owned(),
            "RequireSecuritySignature",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters".to_owned(),
            "RequireSecuritySignature",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest".to_owned(),
            "UseLogonCredential",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Kernel".to_owned(),
            "DisableExceptionChainValidation",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management".to_owned(),
            "FeatureSettingsOverride",
            "REG_DWORD",
            "72".to_owned(),
            Some(72),
        ),
        (
            r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management".to_owned(),
            "FeatureSettingsOverrideMask",
            "REG_DWORD",
            "3".to_owned(),
            Some(3),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".to_owned(),
            "ProductName",
            "REG_SZ",
            "Windows Server 2019 Datacenter".to_owned(),
            None,
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".to_owned(),
            "CurrentBuildNumber",
            "REG_SZ",
            "17763".to_owned(),
            None,
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".to_owned(),
            "UBR",
            "REG_DWORD",
            UBR.to_string(),
            Some(u64::from(UBR)),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".to_owned(),
            "EditionID",
            "REG_SZ",
            "ServerDatacenter".to_owned(),
            None,
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\InetStp".to_owned(),
            "MajorVersion",
            "REG_DWORD",
            "10".to_owned(),
            Some(10),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\InetStp".to_owned(),
            "MinorVersion",
            "REG_DWORD",
            "0".to_owned(),
            Some(0),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System".to_owned(),
            "EnableLUA",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System".to_owned(),
            "LocalAccountTokenFilterPolicy",
            "REG_DWORD",
            "1".to_owned(),
            Some(1),
        ),
        (
            r"HKLM\SOFTWARE\Microsoft\Cryptography\Wintrust\Config".to_owned(),
            "EnableCertPaddingCheck",
            "REG_SZ",
            "1".to_owned(),
            None,
        ),
    ];
    for i in 0..30u64 {
        values.push((
            format!(r"HKLM\SOFTWARE\Contoso\Shop\Features\Flag{i:02}"),
            "Enabled",
            "REG_DWORD",
            (i % 2).to_string(),
            Some(i % 2),
        ));
    }
    values
}

fn sha(rng: &mut Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

fn file(
    rng: &mut Rng,
    path: String,
    version: Option<String>,
    product: &str,
    company: &str,
    layer_digest: &str,
) -> File {
    File {
        path,
        size: 4_096 + rng.below(4_000_000) as u64,
        sha256: sha(rng),
        product_version: version.clone().unwrap_or_default(),
        file_version: version.as_deref().and_then(winver),
        product_name: product.to_owned(),
        company_name: company.to_owned(),
        layer: layer(layer_digest),
    }
}

fn files(rng: &mut Rng) -> Vec<File> {
    let os = "Microsoft\u{ae} Windows\u{ae} Operating System";
    let ms = "Microsoft Corporation";
    let mut files = Vec::new();
    for (i, name) in SYSTEM32.iter().enumerate() {
        // Most system files were serviced by the latest update, some long ago.
        let revision = if i.is_multiple_of(4) {
            1 + rng.below(5_000) as u32
        } else {
            UBR - rng.below(300) as u32
        };
        let layer_digest = if i.is_multiple_of(4) { BASE } else { UPDATE };
        files.push(file(
            rng,
            format!("Windows/System32/{name}"),
            Some(format!("10.0.{BUILD}.{revision}")),
            os,
            ms,
            layer_digest,
        ));
    }
    for name in INETSRV {
        let revision = UBR - rng.below(2_000) as u32;
        files.push(file(
            rng,
            format!("Windows/System32/inetsrv/{name}"),
            Some(format!("10.0.{BUILD}.{revision}")),
            "Internet Information Services",
            ms,
            FEATURES,
        ));
    }
    for name in FRAMEWORK64 {
        let version = format!("4.8.{}.0", 4_000 + rng.below(800));
        files.push(file(
            rng,
            format!("Windows/Microsoft.NET/Framework64/v4.0.30319/{name}"),
            Some(version),
            "Microsoft\u{ae} .NET Framework",
            ms,
            UPDATE,
        ));
    }
    for (framework, version) in RUNTIMES {
        let count = if framework.contains("AspNetCore") {
            12
        } else {
            20
        };
        for i in 0..count {
            let file_version = format!(
                "{}.0.{}.{}",
                &version[..1],
                23_000 + rng.below(900),
                1 + rng.below(9)
            );
            files.push(file(
                rng,
                format!(
                    "Program Files/dotnet/shared/{framework}/{version}/{framework}.Part{i:02}.dll"
                ),
                Some(file_version),
                "Microsoft\u{ae} .NET",
                ms,
                FEATURES,
            ));
        }
    }
    for (site, path, ..) in SITES {
        let dir = path.trim_start_matches(r"C:\").replace('\\', "/");
        files.push(file(rng, format!("{dir}/web.config"), None, "", "", APP));
        files.push(file(rng, format!("{dir}/index.html"), None, "", "", APP));
        if *site != "Default Web Site" {
            files.push(file(
                rng,
                format!("{dir}/appsettings.json"),
                None,
                "",
                "",
                APP,
            ));
            files.push(file(
                rng,
                format!("{dir}/appsettings.Development.json"),
                None,
                "",
                "",
                APP,
            ));
        }
    }
    files.push(file(
        rng,
        "inetpub/wwwroot/iisstart.htm".into(),
        None,
        "",
        "",
        FEATURES,
    ));
    files.push(file(
        rng,
        "inetpub/wwwroot/iisstart.png".into(),
        None,
        "",
        "",
        FEATURES,
    ));
    files.push(file(
        rng,
        "inetpub/shop/web.config.bak".into(),
        None,
        "",
        "",
        APP,
    ));
    files.push(file(
        rng,
        "inetpub/admin/legacy/web.config".into(),
        None,
        "",
        "",
        APP,
    ));
    files.push(file(
        rng,
        "inetpub/shop/v1/web.config".into(),
        None,
        "",
        "",
        APP,
    ));
    files.push(file(
        rng,
        "inetpub/files/backup/shop.sql.old".into(),
        None,
        "",
        "",
        APP,
    ));
    files.push(file(rng, "app/certs/shop.pfx".into(), None, "", "", APP));
    for app in APPS {
        let version = format!("1.42.{}.0", rng.below(100));
        files.push(file(
            rng,
            format!("app/{app}.dll"),
            Some(version),
            app,
            "Contoso Ltd.",
            APP,
        ));
        files.push(file(rng, format!("app/{app}.pdb"), None, "", "", APP));
        files.push(file(
            rng,
            format!("app/{app}.exe"),
            Some("1.42.0.0".into()),
            app,
            "Contoso Ltd.",
            APP,
        ));
        files.push(file(rng, format!("app/{app}.deps.json"), None, "", "", APP));
        files.push(file(
            rng,
            format!("app/{app}.runtimeconfig.json"),
            None,
            "",
            "",
            APP,
        ));
    }
    for (name, version) in PACKAGES.iter().take(36) {
        let numeric = version.split('-').next().unwrap_or(version);
        files.push(file(
            rng,
            format!("inetpub/shop/bin/{name}.dll"),
            Some(format!("{numeric}.0")),
            name,
            "",
            APP,
        ));
    }
    for (name, version) in PS_MODULES.iter().take(12) {
        files.push(file(
            rng,
            format!("Program Files/WindowsPowerShell/Modules/{name}/{version}/{name}.psd1"),
            None,
            "",
            "",
            FEATURES,
        ));
    }
    for name in [
        "pwsh.exe",
        "pwsh.dll",
        "System.Management.Automation.dll",
        "Microsoft.PowerShell.ConsoleHost.dll",
    ] {
        files.push(file(
            rng,
            format!("Program Files/PowerShell/7/{name}"),
            Some("7.4.1.500".into()),
            "PowerShell",
            ms,
            FEATURES,
        ));
    }
    for name in [
        "agent.exe",
        "agent.dll",
        "config.yaml",
        "agent.log",
        "plugins/http.dll",
    ] {
        files.push(file(
            rng,
            format!("Program Files/Contoso/ShopAgent/{name}"),
            Some("4.2.0.17".into()),
            "Contoso Shop Agent",
            "Contoso Ltd.",
            APP,
        ));
    }
    for i in 0..8 {
        files.push(file(
            rng,
            format!("Windows/Temp/setup-{i}.log"),
            None,
            "",
            "",
            UPDATE,
        ));
    }
    files
}

/// The inventory of the benchmark's image.
pub fn inventory() -> Inventory {
    let mut rng = Rng(0x5eed_1a6e);
    let mut inv = Inventory::default();

    inv.image.reference = "registry.contoso.com/shop/web:1.42".into();
    inv.image.digest =
        "sha256:0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d".into();
    inv.image.os = "windows".into();
    inv.image.os_version = winver(&format!("10.0.{BUILD}.{UBR}"));
    inv.image.architecture = "amd64".into();
    inv.image.created = Some(Date::parse("2024-06-20").expect("a date"));
    inv.image.user = "ContainerAdministrator".into();
    inv.image.working_dir = r"C:\app".into();
    inv.image.entrypoint = vec!["C:\\ServiceMonitor.exe".into(), "w3svc".into()];
    inv.image.shell = vec!["powershell".into(), "-Command".into()];
    for (digest, created_by, foreign) in [
        (BASE, "Apply image 10.0.17763.1", true),
        (UPDATE, "Install update 10.0.17763.5830", true),
        (
            FEATURES,
            "RUN powershell -Command Add-WindowsFeature Web-Server; Invoke-WebRequest dotnet-hosting-8.0.0-win.exe",
            false,
        ),
        (APP, "COPY app/ C:/app/ && COPY inetpub/ C:/inetpub/", false),
    ] {
        inv.image.layers.push(ImageLayer {
            digest: digest.into(),
            diff_id: digest.replace("sha256:", "sha256:f"),
            media_type: "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
            size: 50_000_000 + rng.below(900_000_000) as u64,
            created_by: created_by.into(),
            foreign,
            read: true,
        });
    }
    inv.image.env = ENV
        .iter()
        .map(|(n, v)| EnvVar {
            name: (*n).into(),
            value: (*v).into(),
        })
        .collect();
    inv.image.labels = [
        ("maintainer", "shop-team@contoso.com"),
        ("org.opencontainers.image.version", "1.42.0"),
        (
            "org.opencontainers.image.source",
            "https://git.contoso.com/shop/web",
        ),
    ]
    .iter()
    .map(|(n, v)| Label {
        name: (*n).into(),
        value: (*v).into(),
    })
    .collect();
    inv.image.exposed_ports = [80, 443, 8172]
        .iter()
        .map(|p| ExposedPort {
            port: *p,
            protocol: "tcp".into(),
        })
        .collect();

    inv.windows.product_name = "Windows Server 2019 Datacenter".into();
    inv.windows.edition = "ServerDatacenter".into();
    inv.windows.installation_type = "Server Core".into();
    inv.windows.build = BUILD;
    inv.windows.ubr = UBR;
    inv.windows.version = winver(&format!("10.0.{BUILD}.{UBR}"));
    inv.windows.display_version = "1809".into();
    inv.windows.layer = layer(UPDATE);

    inv.updates = UPDATES
        .iter()
        .enumerate()
        .map(|(i, kb)| Update {
            kb: (*kb).into(),
            package: format!(
                "Package_for_RollupFix~31bf3856ad364e35~amd64~~{BUILD}.{}.1.{i}",
                UBR - 10 * i as u32
            ),
            state: if i < 3 { "installed" } else { "superseded" }.into(),
            layer: layer(UPDATE),
        })
        .collect();

    inv.dotnet.framework.installed = true;
    inv.dotnet.framework.release = 528_049;
    inv.dotnet.framework.version = winver("4.8");
    inv.dotnet.framework.patch_level = winver("4.8.4718.0");
    inv.dotnet.framework.layer = layer(UPDATE);
    inv.dotnet.runtimes = RUNTIMES
        .iter()
        .map(|(framework, version)| DotNetRuntime {
            framework: (*framework).into(),
            version: dotnet(version),
            path: format!("Program Files/dotnet/shared/{framework}/{version}"),
            layer: layer(FEATURES),
        })
        .collect();
    for (a, app) in APPS.iter().enumerate() {
        for (p, (name, version)) in PACKAGES.iter().enumerate() {
            if (p + a) % 3 == 0 || p < 6 {
                inv.dotnet.packages.push(NuGetPackage {
                    name: (*name).into(),
                    version: dotnet(version),
                    kind: "package".into(),
                    deps_file: format!("app/{app}.deps.json"),
                    layer: layer(APP),
                });
            }
        }
        inv.dotnet.packages.push(NuGetPackage {
            name: (*app).into(),
            version: dotnet("1.42.0"),
            kind: "project".into(),
            deps_file: format!("app/{app}.deps.json"),
            layer: layer(APP),
        });
    }

    inv.iis.installed = true;
    inv.iis.version = winver("10.0");
    inv.iis.layer = layer(FEATURES);
    for (id, (name, path, pool, bindings, flags)) in SITES.iter().enumerate() {
        let [
            directory_browse,
            basic_auth,
            windows_auth,
            detailed_errors,
            logging_enabled,
        ] = *flags;
        let mut applications = vec![IisApplication {
            path: "/".into(),
            physical_path: (*path).into(),
            app_pool: (*pool).into(),
        }];
        if *name == "shop" {
            applications.push(IisApplication {
                path: "/v1".into(),
                physical_path: format!(r"{path}\v1"),
                app_pool: "legacy".into(),
            });
        }
        if *name == "admin" {
            applications.push(IisApplication {
                path: "/legacy".into(),
                physical_path: format!(r"{path}\legacy"),
                app_pool: "legacy".into(),
            });
        }
        inv.iis.sites.push(IisSite {
            name: (*name).into(),
            id: id as u32 + 1,
            physical_path: (*path).into(),
            app_pool: (*pool).into(),
            bindings: bindings
                .iter()
                .map(|(protocol, port, host, ssl_flags)| IisBinding {
                    protocol: (*protocol).into(),
                    information: format!("*:{port}:{host}"),
                    ip: "*".into(),
                    port: *port,
                    host: (*host).into(),
                    ssl_flags: *ssl_flags,
                })
                .collect(),
            applications,
            directory_browse,
            anonymous_auth: !windows_auth,
            basic_auth,
            windows_auth,
            detailed_errors,
            logging_enabled,
            request_filtering: IisRequestFiltering {
                allow_double_escaping: *name == "files",
                allow_high_bit_characters: true,
                max_allowed_content_length: 30_000_000,
                max_url: 4_096,
                max_query_string: 2_048,
            },
            layer: layer(if id == 0 { FEATURES } else { APP }),
        });
    }
    inv.iis.app_pools = APP_POOLS
        .iter()
        .map(|(name, identity, clr, pipeline, enable_32bit)| IisAppPool {
            name: (*name).into(),
            identity: (*identity).into(),
            clr_version: (*clr).into(),
            pipeline_mode: (*pipeline).into(),
            enable_32bit: *enable_32bit,
            auto_start: true,
            layer: layer(APP),
        })
        .collect();
    inv.iis.global_modules = IIS_MODULES
        .iter()
        .map(|name| IisModule {
            name: (*name).into(),
            image: format!(r"%windir%\System32\inetsrv\{}.dll", name.to_lowercase()),
            layer: layer(FEATURES),
        })
        .collect();
    inv.iis.web_configs = WEB_CONFIGS
        .iter()
        .map(|(path, debug, custom_errors)| WebConfig {
            path: (*path).into(),
            debug: *debug,
            custom_errors: (*custom_errors).into(),
            target_framework: "4.8".into(),
            version_header: true,
            layer: layer(APP),
        })
        .collect();

    inv.powershell.windows_powershell = winver(&format!("5.1.{BUILD}.{UBR}"));
    inv.powershell.installs = vec![PowerShellInstall {
        version: Some(SemVersion::parse("7.4.1").expect("a semver")),
        path: "Program Files/PowerShell/7".into(),
        layer: layer(FEATURES),
    }];
    inv.powershell.modules = PS_MODULES
        .iter()
        .map(|(name, version)| PowerShellModule {
            name: (*name).into(),
            version: winver(version),
            path: format!("Program Files/WindowsPowerShell/Modules/{name}/{version}"),
            layer: layer(FEATURES),
        })
        .collect();
    inv.powershell.layer = layer(BASE);

    inv.programs = PROGRAMS
        .iter()
        .enumerate()
        .map(|(i, (name, version, publisher))| Program {
            name: (*name).into(),
            version: (*version).into(),
            publisher: (*publisher).into(),
            install_date: Some(
                Date::parse(&format!("2024-0{}-1{}", 1 + i % 6, i % 10)).expect("a date"),
            ),
            install_location: String::new(),
            key: format!(
                "{{{:08X}-0000-0000-0000-{:012X}}}",
                rng.next_u64() as u32,
                rng.next_u64() & 0xffff_ffff_ffff
            ),
            arch: if i.is_multiple_of(5) { "x86" } else { "x64" }.into(),
            layer: layer(if i < 7 { FEATURES } else { APP }),
        })
        .collect();
    inv.services = SERVICES
        .iter()
        .map(|(name, start_type, image_path, account)| Service {
            name: (*name).into(),
            display_name: (*name).into(),
            start_type: (*start_type).into(),
            image_path: (*image_path).into(),
            account: (*account).into(),
            layer: layer(BASE),
        })
        .collect();

    for (name, server, client) in [
        ("SSL 2.0", Some(false), Some(false)),
        ("SSL 3.0", Some(false), Some(false)),
        ("TLS 1.0", Some(true), None),
        ("TLS 1.1", None, Some(true)),
        ("TLS 1.2", Some(true), Some(true)),
        ("TLS 1.3", None, None),
    ] {
        for (side, enabled) in [("Server", server), ("Client", client)] {
            inv.schannel.protocols.push(SchannelProtocol {
                name: name.into(),
                side: side.into(),
                enabled,
                disabled_by_default: enabled.map(|e| !e),
                layer: layer(APP),
            });
        }
    }
    let setting = |name: &str, enabled: Option<bool>| SchannelSetting {
        name: name.into(),
        enabled,
        layer: layer(APP),
    };
    inv.schannel.ciphers = [
        ("NULL", Some(false)),
        ("DES 56/56", Some(false)),
        ("RC2 40/128", Some(false)),
        ("RC2 56/128", Some(false)),
        ("RC2 128/128", Some(false)),
        ("RC4 40/128", Some(false)),
        ("RC4 56/128", Some(false)),
        ("RC4 64/128", None),
        ("RC4 128/128", Some(true)),
        ("Triple DES 168", None),
        ("AES 128/128", Some(true)),
        ("AES 256/256", Some(true)),
    ]
    .iter()
    .map(|(n, e)| setting(n, *e))
    .collect();
    inv.schannel.hashes = [
        ("MD5", Some(true)),
        ("SHA", Some(true)),
        ("SHA256", None),
        ("SHA384", None),
        ("SHA512", None),
    ]
    .iter()
    .map(|(n, e)| setting(n, *e))
    .collect();
    inv.schannel.key_exchanges = [
        ("Diffie-Hellman", Some(true)),
        ("PKCS", None),
        ("ECDH", None),
    ]
    .iter()
    .map(|(n, e)| setting(n, *e))
    .collect();

    inv.lsa.lm_compatibility_level = Some(3);
    inv.lsa.no_lm_hash = Some(true);
    inv.lsa.restrict_anonymous = Some(0);
    inv.lsa.limit_blank_password_use = Some(true);
    inv.lsa.layer = layer(BASE);

    inv.registry = registry_values()
        .into_iter()
        .map(|(path, name, kind, data, number)| RegistryValue {
            path,
            name: name.into(),
            kind: kind.into(),
            data,
            number,
            layer: layer(BASE),
        })
        .collect();
    inv.files = files(&mut rng);
    inv
}
