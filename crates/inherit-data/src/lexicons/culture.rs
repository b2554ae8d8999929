//! Culture terms per culture: countries, nationalities and demonyms, languages, cities,
//! dishes and festivals. Proper nouns are capitalised (matched only when capitalised);
//! dish names are lowercase (matched in any case). Terms with hyphens or apostrophes are
//! left out, since the matcher joins the words of a multi-word term by spaces only.

use inherit_core::{Axis, Lexicon, LexiconEntry, TermKind};

use super::Culture;

/// The culture terms of one culture, by kind of cue (see [`culture_terms_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CultureTermLists {
    /// Countries and regions (`Saudi Arabia`).
    pub places: &'static [&'static str],
    /// Nationalities and demonyms (`Egyptian`); `Portuguese` doubles as the language.
    pub peoples: &'static [&'static str],
    /// Languages (`Arabic`, `Mandarin`).
    pub languages: &'static [&'static str],
    /// Cities (`Rio de Janeiro`).
    pub cities: &'static [&'static str],
    /// Dishes and drinks (`feijoada`).
    pub dishes: &'static [&'static str],
    /// Festivals and holidays (`Lunar New Year`).
    pub festivals: &'static [&'static str],
}

const ARABIC: CultureTermLists = CultureTermLists {
    places: &[
        "Saudi Arabia",
        "Egypt",
        "Jordan",
        "Lebanon",
        "Morocco",
        "Tunisia",
        "Algeria",
        "Iraq",
        "Syria",
        "United Arab Emirates",
        "Qatar",
        "Kuwait",
        "Oman",
        "Yemen",
        "Bahrain",
        "Libya",
        "Palestine",
        "Sudan",
    ],
    peoples: &[
        "Arab",
        "Arabs",
        "Saudi",
        "Egyptian",
        "Jordanian",
        "Lebanese",
        "Moroccan",
        "Tunisian",
        "Algerian",
        "Iraqi",
        "Syrian",
        "Emirati",
        "Qatari",
        "Kuwaiti",
        "Omani",
        "Yemeni",
        "Palestinian",
    ],
    languages: &["Arabic"],
    cities: &[
        "Riyadh",
        "Jeddah",
        "Mecca",
        "Cairo",
        "Alexandria",
        "Amman",
        "Beirut",
        "Casablanca",
        "Marrakesh",
        "Tunis",
        "Baghdad",
        "Damascus",
        "Dubai",
        "Abu Dhabi",
        "Doha",
        "Muscat",
    ],
    dishes: &[
        "hummus",
        "falafel",
        "shawarma",
        "tabbouleh",
        "couscous",
        "kabsa",
        "mansaf",
        "kunafa",
        "fattoush",
        "maqluba",
        "baba ghanoush",
    ],
    festivals: &["Eid", "Ramadan", "Mawlid"],
};

const CHINESE: CultureTermLists = CultureTermLists {
    places: &["China", "Hong Kong", "Macau"],
    peoples: &["Chinese"],
    languages: &["Mandarin", "Cantonese"],
    cities: &[
        "Beijing",
        "Shanghai",
        "Guangzhou",
        "Shenzhen",
        "Chengdu",
        "Hangzhou",
        "Wuhan",
        "Nanjing",
        "Chongqing",
        "Tianjin",
        "Suzhou",
        "Kunming",
    ],
    dishes: &[
        "dim sum",
        "Peking duck",
        "mapo tofu",
        "hot pot",
        "jiaozi",
        "baozi",
        "xiaolongbao",
        "congee",
        "chow mein",
        "zongzi",
        "mooncakes",
        "char siu",
    ],
    festivals: &[
        "Spring Festival",
        "Lunar New Year",
        "Chinese New Year",
        "Lantern Festival",
        "Dragon Boat Festival",
        "Qingming",
    ],
};

const PORTUGUESE: CultureTermLists = CultureTermLists {
    places: &["Portugal", "Brazil", "Angola", "Mozambique", "Cape Verde"],
    peoples: &[
        "Portuguese",
        "Brazilian",
        "Brazilians",
        "Angolan",
        "Mozambican",
        "Lusophone",
    ],
    languages: &[],
    cities: &[
        "Lisbon",
        "Porto",
        "Coimbra",
        "Braga",
        "Faro",
        "Rio de Janeiro",
        "São Paulo",
        "Salvador",
        "Brasília",
        "Recife",
        "Fortaleza",
        "Belo Horizonte",
        "Manaus",
        "Luanda",
        "Maputo",
    ],
    dishes: &[
        "bacalhau",
        "pastel de nata",
        "feijoada",
        "francesinha",
        "caldo verde",
        "brigadeiro",
        "pão de queijo",
        "coxinha",
        "moqueca",
        "caipirinha",
    ],
    festivals: &["Festa Junina", "Santos Populares", "São João"],
};

const SPANISH: CultureTermLists = CultureTermLists {
    places: &[
        "Spain",
        "Mexico",
        "Argentina",
        "Colombia",
        "Peru",
        "Chile",
        "Venezuela",
        "Cuba",
        "Ecuador",
        "Bolivia",
        "Uruguay",
        "Paraguay",
        "Guatemala",
        "Costa Rica",
        "Puerto Rico",
        "El Salvador",
        "Dominican Republic",
    ],
    peoples: &[
        "Spaniard",
        "Spaniards",
        "Mexican",
        "Argentine",
        "Argentinian",
        "Colombian",
        "Peruvian",
        "Chilean",
        "Venezuelan",
        "Cuban",
        "Ecuadorian",
        "Bolivian",
        "Uruguayan",
    ],
    languages: &["Spanish", "Castilian", "Catalan"],
    cities: &[
        "Madrid",
        "Barcelona",
        "Seville",
        "Valencia",
        "Bilbao",
        "Granada",
        "Málaga",
        "Mexico City",
        "Guadalajara",
        "Buenos Aires",
        "Bogotá",
        "Lima",
        "Havana",
        "Quito",
        "Montevideo",
    ],
    dishes: &[
        "paella",
        "tapas",
        "gazpacho",
        "tortilla",
        "churros",
        "tacos",
        "tamales",
        "enchiladas",
        "empanadas",
        "ceviche",
        "arepas",
        "chilaquiles",
    ],
    festivals: &[
        "Día de los Muertos",
        "Day of the Dead",
        "La Tomatina",
        "Las Fallas",
        "San Fermín",
        "Semana Santa",
        "Feria de Abril",
        "Cinco de Mayo",
    ],
};

const ANGLO: CultureTermLists = CultureTermLists {
    places: &[
        "England",
        "Scotland",
        "Wales",
        "Britain",
        "United Kingdom",
        "Australia",
        "New Zealand",
        "Canada",
        "United States",
    ],
    peoples: &[
        "British",
        "Scottish",
        "Welsh",
        "Australian",
        "Canadian",
        "American",
        "Americans",
        "Briton",
    ],
    languages: &["English"],
    cities: &[
        "London",
        "Manchester",
        "Liverpool",
        "Birmingham",
        "Edinburgh",
        "Glasgow",
        "Sydney",
        "Melbourne",
        "Toronto",
        "Boston",
        "Chicago",
        "New York",
    ],
    dishes: &[
        "fish and chips",
        "roast beef",
        "Sunday roast",
        "Yorkshire pudding",
        "apple pie",
        "meat pie",
        "scones",
        "crumpets",
        "mac and cheese",
    ],
    festivals: &[
        "Thanksgiving",
        "Bonfire Night",
        "Guy Fawkes Night",
        "Fourth of July",
        "Boxing Day",
        "Burns Night",
    ],
};

/// The culture terms of one culture, by kind, as plain data for prompt builders and
/// templates.
pub fn culture_terms_of(culture: Culture) -> &'static CultureTermLists {
    match culture {
        Culture::Arabic => &ARABIC,
        Culture::Chinese => &CHINESE,
        Culture::Portuguese => &PORTUGUESE,
        Culture::Spanish => &SPANISH,
        Culture::Anglo => &ANGLO,
    }
}

/// Every culture term as a [`TermKind::CultureTerm`] entry signalling its culture on the
/// culture axis (no swap: which term of another culture is "the same" depends on use).
pub fn culture_terms() -> Lexicon {
    let mut entries = Vec::new();
    for culture in Culture::ALL {
        let t = culture_terms_of(culture);
        for list in [
            t.places,
            t.peoples,
            t.languages,
            t.cities,
            t.dishes,
            t.festivals,
        ] {
            for term in list {
                entries.push(LexiconEntry::new(
                    *term,
                    Axis::Culture,
                    culture.as_str(),
                    TermKind::CultureTerm,
                ));
            }
        }
    }
    Lexicon::new(entries)
}
