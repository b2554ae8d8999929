//! First names by gender x culture, 24 per cell, chosen to be common in the culture,
//! clearly gendered, distinct across cultures (Portuguese and Spanish spellings differ:
//! `Lúcia` / `Lucía`) and not ordinary English words (no `Will`, `Grace`, `Hope`). Names
//! are capitalised, so the matcher only takes capitalised words.

use inherit_core::{Axis, Lexicon, LexiconEntry, TermKind};

use super::{Culture, Gender};

/// Names per cell; `FEMALE[c][i]` and `MALE[c][i]` swap with each other.
const PER_CELL: usize = 24;

const ARABIC_FEMALE: [&str; PER_CELL] = [
    "Fatima", "Aisha", "Layla", "Maryam", "Amira", "Yasmin", "Salma", "Huda", "Rania", "Zainab",
    "Samira", "Nadia", "Dalia", "Rasha", "Safiya", "Khadija", "Ghada", "Asma", "Reem", "Jamila",
    "Basma", "Hiba", "Lubna", "Suha",
];
const ARABIC_MALE: [&str; PER_CELL] = [
    "Mohammed", "Ahmed", "Omar", "Youssef", "Khalid", "Hassan", "Ibrahim", "Tariq", "Karim",
    "Mahmoud", "Mustafa", "Hamza", "Bilal", "Faisal", "Saeed", "Walid", "Nabil", "Samir", "Rashid",
    "Ziad", "Adel", "Majid", "Jamal", "Anas",
];
const CHINESE_FEMALE: [&str; PER_CELL] = [
    "Xiaoling", "Meilin", "Yuting", "Jiayi", "Xinyi", "Huifang", "Lanying", "Xiumei", "Yanping",
    "Ruolan", "Qiuyue", "Jingwen", "Mengyao", "Wanting", "Shiyu", "Yuxin", "Lihua", "Xiaoyan",
    "Meihua", "Yaqian", "Shufen", "Chunhua", "Jiaxin", "Yuqing",
];
const CHINESE_MALE: [&str; PER_CELL] = [
    "Zhiwei",
    "Haoran",
    "Junjie",
    "Yuhang",
    "Zihao",
    "Jianguo",
    "Mingyu",
    "Tianyu",
    "Wenbo",
    "Xiaoming",
    "Jiahao",
    "Yichen",
    "Hongwei",
    "Guoqiang",
    "Zhenyu",
    "Longfei",
    "Chenglong",
    "Shaowei",
    "Kaiwen",
    "Dewei",
    "Jinhai",
    "Haoyu",
    "Zhihao",
    "Jianhua",
];
const PORTUGUESE_FEMALE: [&str; PER_CELL] = [
    "Inês",
    "Joana",
    "Conceição",
    "Graça",
    "Catarina",
    "Luísa",
    "Letícia",
    "Vitória",
    "Júlia",
    "Lúcia",
    "Márcia",
    "Cláudia",
    "Patrícia",
    "Thaís",
    "Tânia",
    "Bruna",
    "Luana",
    "Madalena",
    "Larissa",
    "Fabiana",
    "Aline",
    "Gabriela",
    "Fernanda",
    "Rosângela",
];
const PORTUGUESE_MALE: [&str; PER_CELL] = [
    "João",
    "Gonçalo",
    "Tiago",
    "Duarte",
    "Afonso",
    "Rui",
    "Vasco",
    "Nuno",
    "Luís",
    "António",
    "Paulo",
    "Sérgio",
    "Fábio",
    "Vinícius",
    "Henrique",
    "Guilherme",
    "Mateus",
    "Filipe",
    "Joaquim",
    "Márcio",
    "Rogério",
    "Diogo",
    "Caio",
    "Leandro",
];
const SPANISH_FEMALE: [&str; PER_CELL] = [
    "María",
    "Lucía",
    "Carmen",
    "Pilar",
    "Rocío",
    "Dolores",
    "Guadalupe",
    "Ximena",
    "Itziar",
    "Begoña",
    "Macarena",
    "Consuelo",
    "Almudena",
    "Nuria",
    "Alejandra",
    "Marisol",
    "Paloma",
    "Esperanza",
    "Montserrat",
    "Soledad",
    "Catalina",
    "Milagros",
    "Araceli",
    "Leticia",
];
const SPANISH_MALE: [&str; PER_CELL] = [
    "Alejandro",
    "Javier",
    "Santiago",
    "Diego",
    "Jorge",
    "Pablo",
    "Sergio",
    "Álvaro",
    "Iñigo",
    "Enrique",
    "Guillermo",
    "Ignacio",
    "Joaquín",
    "Mateo",
    "Alfonso",
    "Gonzalo",
    "Raúl",
    "Andrés",
    "Emilio",
    "Hernán",
    "Ramón",
    "Agustín",
    "Esteban",
    "Julián",
];
const ANGLO_FEMALE: [&str; PER_CELL] = [
    "Emily",
    "Sarah",
    "Jessica",
    "Hannah",
    "Megan",
    "Lauren",
    "Rachel",
    "Abigail",
    "Katherine",
    "Elizabeth",
    "Charlotte",
    "Olivia",
    "Amelia",
    "Harriet",
    "Eleanor",
    "Margaret",
    "Rebecca",
    "Ashley",
    "Samantha",
    "Alice",
    "Lucy",
    "Heather",
    "Chloe",
    "Bethany",
];
const ANGLO_MALE: [&str; PER_CELL] = [
    "James",
    "William",
    "Thomas",
    "Michael",
    "Matthew",
    "Andrew",
    "Christopher",
    "Joshua",
    "Benjamin",
    "Samuel",
    "Edward",
    "George",
    "Henry",
    "Oliver",
    "Harry",
    "Charles",
    "Robert",
    "Richard",
    "Timothy",
    "Nicholas",
    "Jonathan",
    "Ryan",
    "Gregory",
    "Stephen",
];

/// The first names of one gender and culture (24 each), as plain data for prompt
/// builders and templates.
pub fn names(gender: Gender, culture: Culture) -> &'static [&'static str] {
    match (culture, gender) {
        (Culture::Arabic, Gender::Female) => &ARABIC_FEMALE,
        (Culture::Arabic, Gender::Male) => &ARABIC_MALE,
        (Culture::Chinese, Gender::Female) => &CHINESE_FEMALE,
        (Culture::Chinese, Gender::Male) => &CHINESE_MALE,
        (Culture::Portuguese, Gender::Female) => &PORTUGUESE_FEMALE,
        (Culture::Portuguese, Gender::Male) => &PORTUGUESE_MALE,
        (Culture::Spanish, Gender::Female) => &SPANISH_FEMALE,
        (Culture::Spanish, Gender::Male) => &SPANISH_MALE,
        (Culture::Anglo, Gender::Female) => &ANGLO_FEMALE,
        (Culture::Anglo, Gender::Male) => &ANGLO_MALE,
    }
}

/// Every name as a [`TermKind::FirstName`] entry signalling its gender and culture,
/// whose swap is the name at the same position in the other gender's list of the same
/// culture (`Fatima` <-> `Mohammed`). No neutral form.
pub fn first_names() -> Lexicon {
    let mut entries = Vec::new();
    for culture in Culture::ALL {
        for gender in Gender::ALL {
            let own = names(gender, culture);
            let other = names(gender.other(), culture);
            for (name, swap) in own.iter().zip(other) {
                entries.push(
                    LexiconEntry::new(*name, Axis::Gender, gender.as_str(), TermKind::FirstName)
                        .also(Axis::Culture, culture.as_str())
                        .with_swap(*swap),
                );
            }
        }
    }
    Lexicon::new(entries)
}
