<?php
/**
 * A PHP e-service that signs its users in through Gatehouse with phpCAS
 * (Debian's php-cas), a CAS client library nobody here wrote. A test
 * fixture, not part of the product: phpcas.spec.ts serves it with
 *
 *   php -S 127.0.0.1:$E2E_PHPCAS_PORT -t end2end/tests/phpcas
 *
 * Environment: E2E_BASE_URL (Gatehouse, default http://127.0.0.1:3000),
 * PHPCAS_SERVICE_BASE (this e-service's own scheme, host and port, default
 * http://127.0.0.1:$E2E_PHPCAS_PORT), PHPCAS_SESSION_DIR (PHP sessions,
 * default a folder under the system temp dir).
 */

// Debian installs phpCAS here (php-cas); a Composer install would provide
// the class too. Debian's copy warns that it is not loaded by Composer.
if (!class_exists('phpCAS')) {
    error_reporting(E_ALL & ~E_DEPRECATED);
    require_once '/usr/share/php/CAS/CAS.php';
}

$gatehouse = rtrim(getenv('E2E_BASE_URL') ?: 'http://127.0.0.1:3000', '/');
$port = getenv('E2E_PHPCAS_PORT') ?: '3110';
$self = rtrim(getenv('PHPCAS_SERVICE_BASE') ?: "http://127.0.0.1:$port", '/');

$sessions = getenv('PHPCAS_SESSION_DIR') ?: sys_get_temp_dir() . '/gatehouse-phpcas-sessions';
if (!is_dir($sessions)) {
    mkdir($sessions, 0700, true);
}
session_save_path($sessions);
// Cookies do not tell ports apart: a name of its own, beside Gatehouse's on 127.0.0.1.
session_name('PHPCASDEMO');

$parts = parse_url($gatehouse);
$host = $parts['host'];
$casPort = (int) ($parts['port'] ?? (($parts['scheme'] ?? 'http') === 'https' ? 443 : 80));

// phpCAS >= 1.6.0 takes this service's base URL as a fifth argument.
phpCAS::client(CAS_VERSION_3_0, $host, $casPort, '/cas', $self);
phpCAS::setVerbose(true);
// phpCAS builds https:// server URLs; Gatehouse runs on plain http in the
// tests. A login URL set by hand is used as it is, so it keeps the
// ?service=... phpCAS computed for its own (the same URL it validates with).
$service = parse_url(phpCAS::getServerLoginURL(), PHP_URL_QUERY);
phpCAS::setServerLoginURL("$gatehouse/cas/login?$service");
phpCAS::setServerServiceValidateURL("$gatehouse/cas/p3/serviceValidate");
phpCAS::setServerLogoutURL("$gatehouse/cas/logout");
phpCAS::setNoCasServerValidation();
// CAS single logout: Gatehouse posts a SAML LogoutRequest here when the
// sign-in session ends, and phpCAS ends this e-service's session for it
// (only from Gatehouse's address).
phpCAS::handleLogoutRequests(true, array('127.0.0.1', $host));

phpCAS::forceAuthentication();

function attr(string $name): string
{
    $value = phpCAS::hasAttribute($name) ? phpCAS::getAttribute($name) : '';
    return htmlspecialchars(is_array($value) ? implode(', ', $value) : (string) $value);
}
?>
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>PHP e-Service</title><link rel="icon" href="data:,"></head>
<body>
<h1>PHP e-Service</h1>
<dl>
  <dt>User</dt><dd id="user"><?= htmlspecialchars(phpCAS::getUser()) ?></dd>
  <dt>Name</dt><dd id="name"><?= attr('display_name') ?></dd>
  <dt>Email</dt><dd id="email"><?= attr('email') ?></dd>
  <dt>Role</dt><dd id="role"><?= attr('role') ?></dd>
  <dt>New sign-in</dt><dd id="from-new-login"><?= attr('isFromNewLogin') ?></dd>
</dl>
</body>
</html>
