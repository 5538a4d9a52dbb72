// fields.js: the phone security profile's settings with their CUCM labels,
// and which device types and protocols show each (the guide's two tables:
// SIP-only settings, and the Cisco-only CAPF, TFTP and digest ones).

const SECURITY_MODES = ["Non Secure", "Authenticated", "Encrypted"];
export const AUTH_MODES = ["By Authentication String", "By Null String",
  "By Existing Certificate (precedence to LSC)", "By Existing Certificate (precedence to MIC)"];
export const KEY_ORDERS = ["RSA Only", "EC Only", "EC Preferred, RSA Backup"];
export const KEY_SIZES = ["512", "1024", "2048", "3072", "4096"];
export const EC_KEY_SIZES = [["", "(none)"], ["256", "256"], ["384", "384"], ["521", "521"]];

const ALL = () => true;
const SIP = (t) => t.protocol === "SIP";
const CISCO = (t) => t.phoneType.startsWith("Cisco ") ;
const SIP_CISCO = (t) => SIP(t) && CISCO(t);

// [AXL element, label, kind, options, shown for {phoneType, protocol}]
export const PROFILE_FIELDS = [
  ["name", "Name", "text", null, ALL],
  ["description", "Description", "text", null, ALL],
  ["nonceValidityTime", "Nonce Validity Time", "number", null, SIP],
  ["deviceSecurityMode", "Device Security Mode", "select", SECURITY_MODES, ALL],
  ["transportType", "Transport Type", "select", ["TCP+UDP", "TCP", "UDP", "TLS"], SIP],
  ["enableDigestAuthentication", "Enable Digest Authentication", "checkbox", null, SIP],
  ["tftpEncryptedConfig", "TFTP Encrypted Config", "checkbox", null, CISCO],
  ["EnableOAuthAuthentication", "Enable OAuth Authentication", "checkbox", null, SIP],
  ["excludeDigestCredentials", "Exclude Digest Credentials in Configuration File", "checkbox", null,
   SIP_CISCO],
  ["authenticationMode", "Authentication Mode", "select", AUTH_MODES, CISCO],
  ["keyOrder", "Key Order", "select", KEY_ORDERS, CISCO],
  ["keySize", "Key Size (Bits)", "select", KEY_SIZES, CISCO],
  ["ecKeySize", "EC Key Size (Bits)", "select", EC_KEY_SIZES, CISCO],
  ["sipPhonePort", "SIP Phone Port", "number", null, SIP],
];

// The schema's defaults, for a type without a predefined profile to copy.
export const PROFILE_DEFAULTS = {
  description: "", deviceSecurityMode: "Non Secure", authenticationMode: "By Null String",
  keySize: "2048", keyOrder: "RSA Only", ecKeySize: "", tftpEncryptedConfig: "false",
  EnableOAuthAuthentication: "false", nonceValidityTime: "600", transportType: "TCP+UDP",
  sipPhonePort: "5060", enableDigestAuthentication: "false", excludeDigestCredentials: "false",
};

export function predefinedName(phoneType, protocol) {
  return phoneType + " - Standard " + protocol + " Non-Secure Profile";
}

export function isPredefined(name) {
  return / - Standard (SIP|SCCP) Non-Secure Profile$/.test(name) ||
         name === "Universal Device Template - Model-independent Security Profile";
}

// The field a fault's text names (by element or label), or null.
export function fieldOfFault(message, fields) {
  for (const [tag, label] of fields)
    if (message.includes(tag) || message.toLowerCase().includes(label.toLowerCase())) return tag;
  return null;
}
